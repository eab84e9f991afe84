// Axes for the page's SVG charts (parallel coordinates, scatter): a value's
// position along an axis and the axis's ticks. Numbers get a linear axis (a
// log one when they are positive and span two decades or more, as learning
// rates do), anything else one position per distinct value. A missing value
// (null) sits just beyond the axis's start, under the tick "none".
import {formatNumber, show} from './dom.js';

// At most this many distinct numbers of a parameter: a tick at each (a grid's values).
const EXACT_TICKS = 8;
// Tick labels closer than `gap` pixels would overlap: the later one is left out.
const LABEL_GAP = 14;

function niceTicks(low, high, count = 5) {
  if (low === high) return [low];
  const rough = (high - low) / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  const normal = rough / magnitude;
  const step = (normal < 1.5 ? 1 : normal < 3 ? 2 : normal < 7 ? 5 : 10) * magnitude;
  const ticks = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) {
    ticks.push(Math.abs(value) < step * 1e-9 ? 0 : value);
  }
  return ticks;
}

// Powers of ten, every few of them when they span many decades.
function logTicks(low, high, count = 6) {
  const first = Math.ceil(Math.log10(low)), last = Math.floor(Math.log10(high));
  const stride = Math.max(1, Math.ceil((last - first + 1) / count));
  const ticks = [];
  for (let power = last; power >= first; power -= stride) ticks.unshift(Math.pow(10, power));
  return ticks;
}

// Text that orders as the page lists categories: numbers first, ascending.
function compareCategories(a, b) {
  const x = Number(a), y = Number(b);
  const xNumber = a !== '' && Number.isFinite(x), yNumber = b !== '' && Number.isFinite(y);
  if (xNumber !== yNumber) return xNumber ? -1 : 1;
  if (xNumber) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

// An axis over `values` mapped onto pixels from `start` to `end`:
// {kind, position(value), ticks: [{position, label}]}. With `exact`, a few
// distinct numbers (a grid's) get a tick each instead of round ones; `gap`
// is the room a label needs along the axis.
export function axisOf(values, start, end, {exact = false, gap = LABEL_GAP} = {}) {
  const present = values.filter(value => value !== null && value !== undefined);
  const missingAt = start + Math.sign(start - end || 1) * 18;
  const hasMissing = present.length < values.length;
  const numeric = present.length > 0 && present.every(value => typeof value === 'number' && Number.isFinite(value));
  let axis;
  if (numeric) {
    const low = Math.min(...present), high = Math.max(...present);
    const log = low > 0 && high / low >= 100;
    const t = log ? value => Math.log10(value) : value => value;
    const span = t(high) - t(low);
    const at = value => (span === 0 ? (start + end) / 2 : start + ((t(value) - t(low)) / span) * (end - start));
    const distinct = [...new Set(present)].sort((a, b) => a - b);
    let tickValues = exact && distinct.length <= EXACT_TICKS ? distinct : log ? logTicks(low, high) : niceTicks(low, high);
    if (tickValues.length < 2 && distinct.length > 1) tickValues = [low, high];
    axis = {kind: log ? 'log' : 'linear', position: value => at(value),
            ticks: tickValues.map(value => ({position: at(value), label: formatNumber(value)}))};
  } else {
    const labels = [...new Set(present.map(show))].sort(compareCategories);
    const step = labels.length > 1 ? (end - start) / (labels.length - 1) : 0;
    const index = new Map(labels.map((label, i) => [label, i]));
    const at = label => (labels.length > 1 ? start + index.get(label) * step : (start + end) / 2);
    axis = {kind: 'categorical', position: value => at(show(value)), ticks: labels.map(label => ({position: at(label), label}))};
  }
  const position = axis.position;
  axis.position = value => (value === null || value === undefined ? missingAt : position(value));
  if (hasMissing) axis.ticks.push({position: missingAt, label: 'none'});
  let last = -Infinity;
  axis.ticks = axis.ticks.filter(tick => {
    if (Math.abs(tick.position - last) < gap) return false;
    last = tick.position;
    return true;
  });
  return axis;
}

// Viridis, from low (dark purple) to high (yellow); grey for a missing value.
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

export function colorScale(low, high) {
  return value => {
    if (value === null || value === undefined || !Number.isFinite(value)) return '#bbbbbb';
    const t = high > low ? Math.min(1, Math.max(0, (value - low) / (high - low))) * (STOPS.length - 1) : (STOPS.length - 1) / 2;
    const i = Math.min(STOPS.length - 2, Math.floor(t));
    const f = t - i;
    const channel = c => Math.round(STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f);
    return 'rgb(' + channel(0) + ',' + channel(1) + ',' + channel(2) + ')';
  };
}

// Shortens a label for an axis; the whole text stays in a <title>.
export function shorten(text, length = 18) {
  return text.length > length ? text.slice(0, length - 1) + '…' : text;
}
