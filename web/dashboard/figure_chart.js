// A figure of the report (/api/report's sections[].figures[]) drawn with
// uPlot: each series' points against x, its error (one standard deviation
// over seeds) as a shaded band, a reference line (the rank's cap) dashed,
// in the colours the report gives its series. The data shaping is a plain
// function; FigureChart owns one plot.
import {colorOf} from './curves.js';
import {formatNumber} from './dom.js';

// uPlot's data, series and bands for `figure`: the x values of every series
// on one axis (only positive ones on a log axis), one column per series with
// null where it has no point, and two more (mean ± error) for a series whose
// points have an error.
export function figurePlotData(figure) {
  const usable = x => Number.isFinite(x) && (!figure.log_x || x > 0);
  const xs = [...new Set(figure.series.flatMap(line => line.points.map(([x]) => x)).filter(usable))].sort((a, b) => a - b);
  const column = (line, value) => {
    const byX = new Map(line.points.filter(([x]) => usable(x)).map(point => [point[0], value(point)]));
    return xs.map(x => (byX.has(x) && Number.isFinite(byX.get(x)) ? byX.get(x) : null));
  };
  const data = [xs];
  const series = [];
  const bands = [];
  figure.series.forEach((line, index) => {
    const color = line.color || colorOf(index);
    data.push(column(line, ([, y]) => y));
    series.push({label: line.title, stroke: color, width: line.dashed ? 1.5 : 2, dash: line.dashed ? [6, 4] : undefined,
                 points: {show: !line.dashed, size: 6}});
    if (line.points.some(([, , error]) => error > 0)) {
      const mean = data.length - 1;
      data.push(column(line, ([, y, error]) => y + error), column(line, ([, y, error]) => y - error));
      const edge = {stroke: color + '44', width: 1, points: {show: false}};
      series.push({...edge, label: line.title + ' + sd', band: true}, {...edge, label: line.title + ' - sd', band: true});
      bands.push({series: [mean + 1, mean + 2], fill: color + '22'});
    }
  });
  return {data, series, bands};
}

export class FigureChart {
  constructor(container, {height = 280} = {}) {
    this.container = container;
    this.height = height;
    this.plot = null;
    this.layout = '';
  }

  width() {
    return Math.max(320, this.container.clientWidth || 440);
  }

  update(figure) {
    const {data, series, bands} = figurePlotData(figure);
    const layout = JSON.stringify([series.map(s => [s.label, s.stroke]), bands.length, figure.log_x, figure.x_label, figure.y_label]);
    if (this.plot && layout === this.layout) {
      this.plot.setData(data);
      return;
    }
    this.destroy();
    this.layout = layout;
    this.plot = new uPlot({
      width: this.width(),
      height: this.height,
      scales: {x: {time: false, distr: figure.log_x ? 3 : 1, log: 10}},
      // uPlot's own tick labels round small values (a KL of 1e-4) to 0.
      axes: [{label: figure.x_label}, {label: figure.y_label, size: 70, values: (plot, ticks) => ticks.map(formatNumber)}],
      series: [{label: figure.x_label}, ...series.map(s => ({...s, spanGaps: true}))],
      bands,
      cursor: {drag: {x: true, y: false}},
    }, data, this.container);
    // The bands' edges say nothing under the cursor that the band does not show.
    const rows = this.plot.root.querySelectorAll('.u-legend .u-series');
    [{}, ...series].forEach((s, i) => { if (s.band && rows[i]) rows[i].style.display = 'none'; });
  }

  resize() {
    if (this.plot) this.plot.setSize({width: this.width(), height: this.height});
  }

  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.layout = '';
  }
}
