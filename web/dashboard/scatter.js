// A scatter of one column of the runs (a metric) against another (a
// parameter, the parameter count, another metric), each run a dot; hovering
// a dot names the run, clicking it opens the run's page.
import {axisOf, shorten} from './axes.js';
import {formatNumber, show, svgElement} from './dom.js';

const HEIGHT = 320, LEFT = 70, RIGHT = 20, TOP = 16, BOTTOM = 44;

// `xIsParameter`: its few values get a tick each.
export function drawScatter(container, rows, xName, yName, xIsParameter, openRun) {
  const shown = rows.filter(row => typeof row[yName] === 'number' && Number.isFinite(row[yName]) &&
                                   row[xName] !== null && row[xName] !== undefined);
  const width = Math.max(container.clientWidth || 0, 480);
  const svg = svgElement('svg', {width, height: HEIGHT, class: 'scatter', role: 'img'});
  svg.append(svgElement('title', {}, yName + ' against ' + xName + ' over ' + shown.length + ' runs'));
  const xAxis = axisOf(shown.map(row => row[xName]), LEFT + 10, width - RIGHT - 10, {exact: xIsParameter, gap: 64});
  const yAxis = axisOf(shown.map(row => row[yName]), HEIGHT - BOTTOM - 10, TOP + 10);
  const frame = svgElement('g', {class: 'axis'});
  frame.append(svgElement('line', {x1: LEFT, x2: width - RIGHT, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM}),
               svgElement('line', {x1: LEFT, x2: LEFT, y1: TOP, y2: HEIGHT - BOTTOM}));
  for (const tick of xAxis.ticks) {
    frame.append(svgElement('line', {x1: tick.position, x2: tick.position, y1: HEIGHT - BOTTOM, y2: HEIGHT - BOTTOM + 4}));
    const text = svgElement('text', {x: tick.position, y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle'}, shorten(tick.label, 14));
    text.append(svgElement('title', {}, tick.label));
    frame.append(text);
  }
  for (const tick of yAxis.ticks) {
    frame.append(svgElement('line', {x1: LEFT - 4, x2: LEFT, y1: tick.position, y2: tick.position}));
    frame.append(svgElement('text', {x: LEFT - 7, y: tick.position + 4, 'text-anchor': 'end'}, shorten(tick.label, 10)));
  }
  frame.append(svgElement('text', {x: (LEFT + width - RIGHT) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'axis-name'},
                          xName + (xAxis.kind === 'log' ? ' (log)' : '')));
  frame.append(svgElement('text', {x: 14, y: TOP + 4, class: 'axis-name', 'text-anchor': 'start'}, shorten(yName, 40)));
  svg.append(frame);
  const dots = svgElement('g', {class: 'dots'});
  for (const row of shown) {
    const dot = svgElement('circle', {cx: xAxis.position(row[xName]).toFixed(1), cy: yAxis.position(row[yName]).toFixed(1), r: 4});
    const title = 'run ' + row.run + ': ' + xName + ' ' + show(row[xName]) + ', ' + yName + ' ' + formatNumber(row[yName]);
    dot.append(svgElement('title', {}, title));
    dot.addEventListener('click', () => openRun(row.run));
    dots.append(dot);
  }
  svg.append(dots);
  container.replaceChildren(svg);
}
