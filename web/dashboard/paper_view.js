// The paper view (?paper= for every sweep, ?paper=A,B for some): what
// `headroom report` would write for them, from /api/report. The paper's
// claims with their verdicts (95% and Holm), the predicted advantage with
// its 95% interval, drawn against 0; then per sweep the report's figures
// (the attention logits' rank against its cap min(head_size, seq_len) among
// them), the ranks and the power-law fits. Asked again only when a sweep's
// cells change state, so it follows a sweep as its seeds finish.
import {api} from './api.js';
import {element, formatNumber, svgElement, table, viewLink} from './dom.js';
import {FigureChart} from './figure_chart.js';

const INTERVAL_WIDTH = 160;
const INTERVAL_HEIGHT = 18;

// The advantage's interval on its own scale (claims compare different
// metrics), with 0 marked: above 0 supports the claim.
function intervalGlyph(advantage) {
  const {estimate, low, high} = advantage;
  const from = Math.min(low, 0), to = Math.max(high, 0);
  const span = to - from || 1;
  const at = value => 6 + ((value - from) / span) * (INTERVAL_WIDTH - 12);
  const middle = INTERVAL_HEIGHT / 2;
  const svg = svgElement('svg', {class: 'interval', width: INTERVAL_WIDTH, height: INTERVAL_HEIGHT,
                                 viewBox: '0 0 ' + INTERVAL_WIDTH + ' ' + INTERVAL_HEIGHT});
  svg.append(svgElement('line', {class: 'zero', x1: at(0), x2: at(0), y1: 1, y2: INTERVAL_HEIGHT - 1}),
             svgElement('line', {class: 'range', x1: at(low), x2: at(high), y1: middle, y2: middle}),
             svgElement('circle', {cx: at(estimate), cy: middle, r: 3.5}));
  svg.append(svgElement('title', {}, '95% interval [' + formatNumber(low) + ', ' + formatNumber(high) + '] around ' +
                                     formatNumber(estimate) + '; the line across is 0'));
  return svg;
}

function advantageCell(claim) {
  const cell = element('td', {className: 'advantage'});
  const advantage = claim.advantage;
  if (!advantage) {
    cell.append(claim.sanity_check ? '' : 'too few seeds');
    return cell;
  }
  const seeds = advantage.method === 'paired' ? 'paired over ' + advantage.seeds + ' seeds'
                                              : 'Welch, ' + advantage.seeds.join(' against ') + ' seeds';
  const p = advantage.p_value === null ? 'no spread: says nothing' : 'p = ' + formatNumber(advantage.p_value);
  cell.append(intervalGlyph(advantage), ' ',
              element('span', {className: 'number'}, formatNumber(advantage.estimate) + ' [' + formatNumber(advantage.low) + ', ' +
                                                     formatNumber(advantage.high) + ']'),
              element('div', {className: 'caption'}, seeds + ', ' + p));
  return cell;
}

// "reproduced" -> "verdict verdict-reproduced", a class the stylesheet colours.
function verdictCell(text) {
  return element('td', {className: 'verdict verdict-' + text.replace(/\s*\(.*\)/, '').replace(/ /g, '-')}, text);
}

function claimRow(claim) {
  const statement = element('td', {className: 'statement'}, claim.statement,
                            element('details', {}, element('summary', {}, 'finding'), element('p', {}, claim.finding)));
  const sources = element('td', {});
  claim.sources.forEach((source, i) => sources.append(i ? ', ' : '', viewLink({sweep: source}, source)));
  return element('tr', {}, element('td', {className: 'number'}, claim.comparison), element('td', {}, claim.mirrors),
                 statement, sources, advantageCell(claim), verdictCell(claim.verdict), verdictCell(claim.holm_verdict));
}

function verdictCounts(claims) {
  if (claims.length === 0) {
    return 'No comparison of the paper applies: these sweeps lack the standard and fixed head size configurations ' +
           '(or the head counts, widths or head sizes) that one needs.';
  }
  const counts = new Map();
  for (const claim of claims) if (!claim.sanity_check) counts.set(claim.holm_verdict, (counts.get(claim.holm_verdict) || 0) + 1);
  const parts = [...counts].map(([verdict, count]) => count + ' ' + verdict);
  const checks = claims.filter(claim => claim.sanity_check);
  const held = checks.filter(claim => claim.verdict.startsWith('holds')).length;
  return claims.length - checks.length + ' claims after Holm\'s correction: ' + (parts.join(', ') || 'none') +
         (checks.length ? '; the rank bound holds in ' + held + ' of ' + checks.length + ' sweeps (a sanity check)' : '') + '.';
}

export class PaperView {
  // `sweeps`: the names to report, comma-separated; empty for every sweep.
  constructor(root, sweeps) {
    this.sweeps = sweeps;
    this.key = null;
    this.closed = false;
    this.charts = new Map();  // figure id -> FigureChart, kept across refreshes
    this.summary = element('p', {id: 'paper-summary'});
    this.waiting = element('ul', {id: 'paper-waiting', className: 'caption'});
    this.claims = element('table', {id: 'claims'});
    this.sections = element('div', {id: 'paper-sections'});
    root.replaceChildren(
      element('h2', {id: 'paper-title'}, 'The paper\'s claims' + (sweeps ? ': ' + sweeps.split(',').join(', ') : '')),
      element('p', {className: 'caption'},
              'As headroom report computes them (docs/reports.md): each of the paper\'s comparisons the sweeps can test, the ' +
              'predicted advantage (positive supports the claim) with its 95% interval, drawn against 0, and the verdict ' +
              'before and after Holm\'s correction across these claims. Updated as runs finish.'),
      this.summary, this.waiting, this.claims, this.sections);
    this.onResize = () => { for (const chart of this.charts.values()) chart.resize(); };
    window.addEventListener('resize', this.onResize);
  }

  close() {
    this.closed = true;
    for (const chart of this.charts.values()) chart.destroy();
    window.removeEventListener('resize', this.onResize);
  }

  // `sweeps`: /api/sweeps's answer, to come. The report is computed again
  // only when the cells of the sweeps it covers have changed.
  async refresh(sweeps) {
    const all = await sweeps;
    const names = this.sweeps ? this.sweeps.split(',') : null;
    const key = JSON.stringify(all.filter(sweep => !names || names.includes(sweep.sweep)).map(sweep => [sweep.sweep, sweep.cells]));
    if (key === this.key) return;
    const report = await api('/api/report', this.sweeps ? {sweep: this.sweeps} : {});
    if (this.closed) return;
    this.key = key;
    this.draw(report);
  }

  draw(report) {
    this.summary.textContent = report.sweeps.length ? verdictCounts(report.claims) : 'No sweep has a finished run to report on yet.';
    this.waiting.replaceChildren(...report.waiting.map(item => element('li', {}, item.sweep + ': ' + item.reason)));
    const header = ['#', 'mirrors', 'the paper\'s claim', 'sources', 'advantage [95% interval]', 'verdict (95%)', 'verdict (Holm)'];
    this.claims.replaceChildren(element('thead', {}, element('tr', {}, ...header.map(name => element('th', {}, name)))),
                                element('tbody', {}, ...report.claims.map(claimRow)));
    this.claims.hidden = report.claims.length === 0;
    const shown = new Set();
    this.sections.replaceChildren(...report.sections.map(section => this.drawSection(section, shown)));
    for (const [id, chart] of this.charts) {
      if (!shown.has(id)) {
        chart.destroy();
        this.charts.delete(id);
      }
    }
    // Drawn once their boxes are in the page, so that uPlot knows their width.
    for (const figure of report.sections.flatMap(section => section.figures)) this.charts.get(figure.id).update(figure);
  }

  drawSection(section, shown) {
    const cells = Object.entries(section.cells).map(([state, count]) => count + ' ' + state).join(', ');
    const setup = section.succeeded_runs + ' succeeded runs (cells: ' + cells + '); metric ' + section.metric + ', ' +
                  (section.maximize ? 'higher' : 'lower') + ' is better.';
    const figures = element('div', {className: 'small-multiples'});
    for (const figure of section.figures) {
      shown.add(figure.id);
      // A chart is kept across refreshes: its box moves into the new section.
      if (!this.charts.has(figure.id)) {
        const box = element('div', {className: 'chart'});
        this.charts.set(figure.id, new FigureChart(box));
      }
      const chart = this.charts.get(figure.id);
      figures.append(element('figure', {className: 'report-figure', id: 'figure-' + figure.id},
                             element('figcaption', {}, figure.caption), chart.container));
    }
    const parts = [element('h3', {}, 'Sweep ', viewLink({sweep: section.sweep}, section.sweep)),
                   element('p', {className: 'caption'}, setup), figures];
    if (section.ranks.length) {
      const fixed = (value, decimals) => (value === null ? '' : value.toFixed(decimals));
      const rows = section.ranks.map(row => [row.attention, row.heads, row.head_size, row.cap, fixed(row.numerical, 1),
                                             fixed(row.effective, 1), row.cap > 0 && row.effective !== null ? fixed(row.effective / row.cap, 2) : '']);
      parts.push(element('h4', {}, 'The attention logits\' rank against its cap'),
                 table(['attention', 'heads', 'head_size', 'cap min(head_size, seq_len)', 'numerical rank', 'effective rank',
                        'effective / cap'], rows, 'ranks'),
                 element('p', {className: 'caption'},
                         'Mean over layers and seeds at the last evaluation. The numerical rank cannot exceed the cap; an ' +
                         'effective rank near the cap means the heads use all the rank they may.'));
    }
    if (section.fits.length) {
      const rows = section.fits.map(fit => [fit.series, formatNumber(fit.coefficient) + ' · N^' + formatNumber(fit.exponent),
                                            '[' + formatNumber(fit.exponent_low) + ', ' + formatNumber(fit.exponent_high) + ']',
                                            formatNumber(fit.r_squared), fit.points]);
      parts.push(element('h4', {}, 'Power law of ' + section.fit_metric + ' against non-embedding parameters N'),
                 table(['attention', 'fit', 'exponent 95% interval', 'R²', 'runs'], rows, 'fits'));
    }
    const configurations = section.configurations;
    parts.push(element('details', {}, element('summary', {}, 'Configurations over seeds (' + configurations.rows.length + ')'),
                       table(configurations.columns, configurations.rows)));
    return element('section', {className: 'paper-section'}, ...parts);
  }
}
