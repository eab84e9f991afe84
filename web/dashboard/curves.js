// Curves with uPlot (web/vendor): metrics of runs overlaid against the step,
// zoom (drag across; double-click resets), every series' value under the
// cursor in the legend, log axes, smoothing, and runs that differ only by
// their seed drawn as their mean with a band from their minimum to their
// maximum. The data shaping is plain functions; CurveChart owns one plot.

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function colorOf(index) {
  return PALETTE[index % PALETTE.length];
}

// TensorBoard's smoothing: an exponential moving average with weight in
// [0, 1), debiased so that the first points are not pulled towards 0.
// Null (non-finite) points stay null and do not move the average.
export function smooth(points, weight) {
  if (!(weight > 0)) return points;
  let average = 0;
  let count = 0;
  return points.map(([step, value]) => {
    if (value === null) return [step, null];
    average = average * weight + (1 - weight) * value;
    count += 1;
    return [step, average / (1 - Math.pow(weight, count))];
  });
}

// The lines to draw for `curves` ([{label, group, points: [[step, value]]}]):
// each curve, or with `aggregate` one mean line per group of two or more
// curves with its minimum and maximum at each step.
export function linesOf(curves, aggregate) {
  const lines = [];
  const groups = new Map();
  for (const curve of curves) {
    const key = aggregate ? curve.group : Symbol();
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(curve);
  }
  for (const members of groups.values()) {
    if (members.length === 1) {
      lines.push({label: members[0].label, kind: 'run', values: new Map(members[0].points)});
      continue;
    }
    const byStep = new Map();
    for (const curve of members) {
      for (const [step, value] of curve.points) {
        if (value === null) continue;
        if (!byStep.has(step)) byStep.set(step, []);
        byStep.get(step).push(value);
      }
    }
    const mean = new Map(), low = new Map(), high = new Map();
    for (const [step, values] of byStep) {
      mean.set(step, values.reduce((sum, value) => sum + value, 0) / values.length);
      low.set(step, Math.min(...values));
      high.set(step, Math.max(...values));
    }
    const base = members[0].groupLabel;
    lines.push({label: base + ' (mean of ' + members.length + ')', base, kind: 'mean', values: mean, low, high});
  }
  return lines;
}

// uPlot's data and series for `lines`: steps on x (only positive ones on a
// log axis), one column per series, null where a series has no point (or a
// value a log axis cannot show).
export function plotData(lines, {logX = false, logY = false} = {}) {
  const steps = new Set();
  for (const line of lines) for (const step of line.values.keys()) if (!logX || step > 0) steps.add(step);
  const xs = [...steps].sort((a, b) => a - b);
  const column = values => xs.map(step => {
    const value = values.get(step);
    return value === undefined || value === null || (logY && value <= 0) ? null : value;
  });
  const data = [xs];
  const series = [];
  const bands = [];
  lines.forEach((line, index) => {
    const color = colorOf(index);
    data.push(column(line.values));
    series.push({label: line.label, stroke: color, width: line.kind === 'mean' ? 2 : 1.5});
    if (line.kind === 'mean') {
      const mean = data.length - 1;
      data.push(column(line.high), column(line.low));
      series.push({label: line.base + ' max', stroke: color + '55', width: 1},
                  {label: line.base + ' min', stroke: color + '55', width: 1});
      bands.push({series: [mean + 1, mean + 2], fill: color + '22'});
    }
  });
  return {data, series, bands};
}

// One uPlot chart in `container`. update() redraws with new curves; while
// the reader has zoomed in, new points keep the zoom.
export class CurveChart {
  constructor(container, {height = 320, yLabel = ''} = {}) {
    this.container = container;
    this.height = height;
    this.yLabel = yLabel;
    this.plot = null;
    this.layout = '';
  }

  // curves: [{label, group, groupLabel, points}]; options: {logX, logY, smoothing, aggregate}.
  update(curves, options = {}) {
    const smoothed = curves.map(curve => ({...curve, points: smooth(curve.points, options.smoothing || 0)}));
    const {data, series, bands} = plotData(linesOf(smoothed, options.aggregate), options);
    const layout = JSON.stringify([series.map(s => s.label), bands.length, options.logX, options.logY, this.yLabel]);
    if (this.plot && layout === this.layout) {
      this.plot.setData(data, !this.zoomedIn());
      return;
    }
    this.destroy();
    this.layout = layout;
    const opts = {
      width: Math.max(320, this.container.clientWidth || 800),
      height: this.height,
      scales: {x: {time: false, distr: options.logX ? 3 : 1, log: 10}, y: {distr: options.logY ? 3 : 1, log: 10}},
      axes: [{label: 'step'}, {label: this.yLabel, size: 60}],
      series: [{label: 'step'}, ...series.map(s => ({...s, spanGaps: true}))],
      bands,
      cursor: {drag: {x: true, y: false}},
    };
    this.plot = new uPlot(opts, data, this.container);
  }

  // The reader dragged a range narrower than the steps drawn (double-click undoes it).
  zoomedIn() {
    const steps = this.plot.data[0];
    const {min, max} = this.plot.scales.x;
    return steps.length > 0 && (min > steps[0] || max < steps[steps.length - 1]);
  }

  resize() {
    if (this.plot) this.plot.setSize({width: Math.max(320, this.container.clientWidth || 800), height: this.height});
  }

  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.layout = '';
  }
}
