// Parallel coordinates, as W&B draws them: one vertical axis per swept
// parameter and a last one for the metric, one line per run through its
// values, coloured by the metric (viridis: dark is low, yellow is high; grey
// when the run has none yet). Hovering a line names the run; clicking it
// opens the run's page.
import {axisOf, colorScale, shorten} from './axes.js';
import {formatNumber, svgElement} from './dom.js';

const HEIGHT = 300, TOP = 40, BOTTOM = 36, SIDE = 60, SPACING = 150;

// Draws the runs `rows` (wide rows) over the axes `parameters` and `metric`
// into `container`; `openRun(id)` follows a click.
export function drawParallel(container, rows, parameters, metric, openRun) {
  const dimensions = [...parameters.filter(name => rows.some(row => name in row)), metric];
  const width = Math.max(container.clientWidth || 0, SIDE * 2 + SPACING * (dimensions.length - 1));
  const svg = svgElement('svg', {width, height: HEIGHT + BOTTOM, class: 'parallel', role: 'img'});
  svg.append(svgElement('title', {}, 'Parallel coordinates of ' + rows.length + ' runs, coloured by ' + metric));
  const spacing = dimensions.length > 1 ? (width - 2 * SIDE) / (dimensions.length - 1) : 0;
  const axes = dimensions.map((name, i) => ({
    name, x: SIDE + i * spacing,
    axis: axisOf(rows.map(row => row[name] ?? null), HEIGHT - 10, TOP, {exact: name !== metric}),
  }));

  const metricValues = rows.map(row => row[metric]).filter(value => typeof value === 'number' && Number.isFinite(value));
  const color = colorScale(Math.min(...metricValues), Math.max(...metricValues));
  const lines = svgElement('g', {class: 'lines'});
  for (const row of rows) {
    const points = axes.map(({name, x, axis}) => x.toFixed(1) + ',' + axis.position(row[name] ?? null).toFixed(1));
    const line = svgElement('polyline', {points: points.join(' '), stroke: color(row[metric]), fill: 'none'});
    const value = typeof row[metric] === 'number' ? formatNumber(row[metric]) : 'none';
    line.append(svgElement('title', {}, 'run ' + row.run + ' (' + row.state + '): ' + metric + ' ' + value));
    line.addEventListener('click', () => openRun(row.run));
    lines.append(line);
  }
  svg.append(lines);

  for (const {name, x, axis} of axes) {
    const group = svgElement('g', {class: 'axis'});
    group.append(svgElement('line', {x1: x, x2: x, y1: TOP, y2: HEIGHT - 10}));
    const label = svgElement('text', {x, y: TOP - 16, 'text-anchor': 'middle', class: 'axis-name'}, shorten(name, 22));
    label.append(svgElement('title', {}, name + ' (' + axis.kind + ')'));
    group.append(label);
    for (const tick of axis.ticks) {
      group.append(svgElement('line', {x1: x - 4, x2: x, y1: tick.position, y2: tick.position}));
      const text = svgElement('text', {x: x - 7, y: tick.position + 4, 'text-anchor': 'end'}, shorten(tick.label));
      text.append(svgElement('title', {}, tick.label));
      group.append(text);
    }
    svg.append(group);
  }
  container.replaceChildren(svg);
}
