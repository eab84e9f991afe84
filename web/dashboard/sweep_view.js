// A sweep's page (?sweep=NAME): its runs (100 rows at a time), filtered with
// the --where language of `headroom runs`, sorted by a click on a column, its columns chosen
// (kept per sweep in local storage); the curves of the
// runs ticked in the table; parallel coordinates and a scatter of the
// filtered runs; the parameters' importance. Refreshed by app.js.
import {api, isActive} from './api.js';
import {CurveChart} from './curves.js';
import {element, setOptions, show, viewLink} from './dom.js';
import {drawImportance} from './importance.js';
import {drawParallel} from './parallel.js';
import {drawScatter} from './scatter.js';

// Runs ticked until the reader chooses: more would fetch too many curves.
const TICKED_BY_DEFAULT = 50;
// Runs whose curves one request asks for (/api/curves answers up to 1,000).
const CURVES_PER_REQUEST = 200;
// Rows of the table shown at once: laying out 2,000 rows of 20 columns took
// the browser 1.7 s (scripts/bench dashboard), 100 rows take about 50 ms.
const ROWS_PER_PAGE = 100;
// The parameter whose values are repetitions, not settings (mean over seeds).
const SEED = 'seed';

// Resolves once the browser has painted what the page holds now.
function nextPaint() {
  return new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// The columns hidden in a sweep's table, as the reader left them (storage may
// be unavailable, e.g. disabled: then nothing is hidden and nothing kept).
function hiddenColumns(sweep) {
  try {
    const kept = JSON.parse(localStorage.getItem('headroom.hidden-columns.' + sweep) ?? '[]');
    return new Set(Array.isArray(kept) ? kept.filter(name => typeof name === 'string') : []);
  } catch {
    return new Set();
  }
}

function keepHiddenColumns(sweep, hidden) {
  try {
    localStorage.setItem('headroom.hidden-columns.' + sweep, JSON.stringify([...hidden]));
  } catch {
    // Not kept past this page; the table still follows the choice.
  }
}

function labelled(text, control) {
  return element('label', {}, text, ' ', control);
}

export class SweepView {
  constructor(root, name, openRun) {
    this.name = name;
    this.openRun = openRun;
    this.rows = [];
    this.rowsText = '';
    this.sort = '';
    this.page = 0;                // of the table, ROWS_PER_PAGE rows each
    this.ticked = new Map();      // run id -> drawn or not, where the reader chose
    this.hidden = hiddenColumns(name);  // columns the reader took out of the table
    this.finalCurves = new Map(); // "run metric" -> points of runs that ended (they cannot change)
    this.closed = false;
    this.generation = 0;
    this.build(root);
    this.chart = new CurveChart(this.curves, {height: 340});
    this.onResize = () => { this.chart.resize(); this.drawAnalyses(false); };
    window.addEventListener('resize', this.onResize);
  }

  build(root) {
    this.where = element('input', {id: 'where', size: 60, placeholder: "--where, e.g. heads >= 8 and state = 'succeeded'"});
    this.filterError = element('span', {id: 'filter-error', className: 'error'});
    const filter = element('form', {id: 'filter'}, this.where, ' ', element('button', {}, 'filter'), ' ', this.filterError);
    // The filter applies when submitted, not while it is being typed.
    this.appliedWhere = '';
    filter.addEventListener('submit', event => {
      event.preventDefault();
      this.appliedWhere = this.where.value.trim();
      this.page = 0;
      this.refresh(null, {rowsOnly: true});
    });

    this.curveMetric = element('select', {id: 'curve-metric'});
    this.logX = element('input', {type: 'checkbox', id: 'log-x'});
    this.logY = element('input', {type: 'checkbox', id: 'log-y'});
    this.smoothing = element('input', {type: 'range', id: 'smoothing', min: 0, max: 0.99, step: 0.01, value: 0});
    this.smoothingText = element('span', {className: 'number'}, '0');
    this.aggregate = element('input', {type: 'checkbox', id: 'aggregate'});
    for (const control of [this.curveMetric, this.logX, this.logY, this.aggregate]) {
      control.addEventListener('change', () => this.drawCurves());
    }
    this.smoothing.addEventListener('input', () => { this.smoothingText.textContent = this.smoothing.value; this.drawCurves(); });
    this.curves = element('div', {id: 'curves', className: 'chart'});
    this.curvesCaption = element('p', {id: 'curves-caption', className: 'caption'});

    this.table = element('table', {id: 'runs'});
    this.columnChoices = element('div', {className: 'column-choices'});
    this.columnChooser = element('details', {id: 'columns'}, element('summary', {}, 'columns'), this.columnChoices);
    this.previousPage = element('button', {id: 'previous-runs', type: 'button'}, '◀');
    this.nextPage = element('button', {id: 'next-runs', type: 'button'}, '▶');
    this.pageText = element('span', {id: 'runs-page', className: 'caption'});
    this.previousPage.addEventListener('click', () => { this.page -= 1; this.drawTable(); });
    this.nextPage.addEventListener('click', () => { this.page += 1; this.drawTable(); });
    this.pager = element('div', {className: 'controls'}, this.previousPage, this.pageText, this.nextPage);
    this.metric = element('select', {id: 'metric'});
    this.metric.addEventListener('change', () => this.drawAnalyses(true));
    this.scatterX = element('select', {id: 'scatter-x'});
    this.scatterX.addEventListener('change', () => this.drawAnalyses(false));
    this.parallel = element('div', {id: 'parallel', className: 'chart'});
    this.scatter = element('div', {id: 'scatter', className: 'chart'});
    this.importance = element('div', {id: 'importance'});

    root.replaceChildren(
      element('h2', {id: 'sweep-title'}, 'Runs of ' + this.name),
      element('p', {}, viewLink({paper: this.name}, 'The paper\'s claims from this sweep')), filter, this.columnChooser, this.table, this.pager,
      element('h3', {}, 'Curves'),
      element('div', {className: 'controls'}, labelled('metric', this.curveMetric), labelled('log x', this.logX),
              labelled('log y', this.logY), labelled('smoothing', this.smoothing), this.smoothingText,
              labelled('mean over seeds', this.aggregate)),
      this.curves, this.curvesCaption,
      element('div', {className: 'controls'}, labelled('metric of the charts below', this.metric)),
      element('h3', {}, 'Parallel coordinates'), this.parallel,
      element('h3', {}, 'Scatter'), element('div', {className: 'controls'}, labelled('against', this.scatterX)), this.scatter,
      element('h3', {}, 'Parameter importance'), this.importance);
  }

  close() {
    this.closed = true;
    this.chart.destroy();
    window.removeEventListener('resize', this.onResize);
  }

  // `rowsOnly`: the filter or the sort changed, not the sweep: the sweep's
  // own answer (its metrics and parameters) is not asked for again.
  async refresh(_sweeps, {rowsOnly = false} = {}) {
    // A refresh started later (a new filter) wins over one still under way.
    const generation = ++this.generation;
    const current = () => !this.closed && generation === this.generation;
    const query = {sweep: this.name};
    if (this.appliedWhere) query.where = this.appliedWhere;
    if (this.sort) query.sort = this.sort;
    // Both at once: each is a round trip, and the table needs both.
    const infoAnswer = rowsOnly && this.info ? Promise.resolve(this.info) : api('/api/sweeps/' + encodeURIComponent(this.name));
    const rowsAnswer = api('/api/runs', query);
    rowsAnswer.catch(() => {});  // handled below, once the sweep's answer has come
    const info = await infoAnswer;
    if (!current()) return;
    this.info = info;
    const metrics = info.metrics;
    setOptions(this.curveMetric, metrics, metrics.includes('train/loss') ? 'train/loss' : info.metric);
    setOptions(this.metric, metrics, info.metric ?? metrics.find(name => name.startsWith('eval/')));
    let rows;
    try {
      rows = await rowsAnswer;
    } catch (error) {
      if (current()) this.filterError.textContent = error.message;  // the table stays as it was
      return;
    }
    if (!current()) return;
    this.filterError.textContent = '';
    const text = JSON.stringify(rows);
    if (text !== this.rowsText) {
      this.rows = rows;
      this.rowsText = text;
      this.drawTable();
      // The table is painted first, then each chart below it in turn: the
      // curves of runs that ended come from the cache without a request, and
      // drawn in the same task they delayed the table by their layout (about
      // 60 ms of a 150 ms filter); the parallel coordinates of 2,000 runs take 0.2 s.
      await nextPaint();
      if (!current()) return;
      const curvesDrawn = this.drawCurves();
      await nextPaint();
      if (current()) this.drawAnalyses(true);
      await curvesDrawn;
      return;
    }
    await this.drawCurves();
  }

  isTicked(row, index) {
    return this.ticked.get(row.run) ?? index < TICKED_BY_DEFAULT;
  }

  drawTable() {
    const all = this.rows.length ? Object.keys(this.rows[0]) : [];
    this.drawColumnChoices(all);
    const columns = all.filter(column => column === 'run' || !this.hidden.has(column));
    const header = element('tr', {}, element('th', {title: 'drawn in the curves'}, '✓'));
    for (const column of columns) {
      const th = element('th', {className: 'sortable', title: 'sort by ' + column}, column);
      if (this.sort === column) th.append(' ▲');
      if (this.sort === '-' + column) th.append(' ▼');
      th.addEventListener('click', () => { this.sort = this.sort === column ? '-' + column : column; this.page = 0; this.refresh(null, {rowsOnly: true}); });
      header.append(th);
    }
    const pages = Math.max(1, Math.ceil(this.rows.length / ROWS_PER_PAGE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    const first = this.page * ROWS_PER_PAGE;
    const shown = this.rows.slice(first, first + ROWS_PER_PAGE);
    this.pager.hidden = pages === 1;
    this.previousPage.disabled = this.page === 0;
    this.nextPage.disabled = this.page === pages - 1;
    this.pageText.textContent = 'runs ' + (first + 1) + '–' + (first + shown.length) + ' of ' + this.rows.length;
    const body = element('tbody');
    shown.forEach((run, i) => {
      const index = first + i;
      const tick = element('input', {type: 'checkbox', checked: this.isTicked(run, index), title: 'draw its curve'});
      tick.addEventListener('change', () => { this.ticked.set(run.run, tick.checked); this.drawCurves(); });
      const row = element('tr', {}, element('td', {}, tick));
      for (const column of columns) {
        row.append(element('td', {}, column === 'run' ? viewLink({run: run.run}, String(run.run)) : show(run[column])));
      }
      body.append(row);
    });
    this.table.replaceChildren(element('thead', {}, header), body);
  }

  // A checkbox per column of the table (the run's id always stays: it opens
  // the run). The choice is kept per sweep in the browser's local storage.
  drawColumnChoices(columns) {
    const shown = columns.filter(column => column !== 'run');
    const names = shown.join('\n');
    if (names === this.columnChoicesFor) return;
    this.columnChoicesFor = names;
    this.columnChoices.replaceChildren(...shown.map(column => {
      const box = element('input', {type: 'checkbox', checked: !this.hidden.has(column)});
      box.dataset.column = column;
      box.addEventListener('change', () => {
        if (box.checked) this.hidden.delete(column); else this.hidden.add(column);
        keepHiddenColumns(this.name, this.hidden);
        this.drawTable();
      });
      return element('label', {}, box, ' ', column);
    }));
  }

  // The swept parameters that take more than one value among the runs shown.
  varyingParameters() {
    return (this.info?.parameters ?? []).filter(name => new Set(this.rows.map(row => JSON.stringify(row[name] ?? null))).size > 1);
  }

  // The curves of `rows` for `metric`: those of runs that ended from the
  // cache, the others in batches of /api/curves.
  async curvesOf(rows, metric) {
    const key = row => row.run + ' ' + metric;
    const missing = rows.filter(row => !this.finalCurves.has(key(row)));
    const fetched = new Map();
    const batches = [];
    for (let i = 0; i < missing.length; i += CURVES_PER_REQUEST) batches.push(missing.slice(i, i + CURVES_PER_REQUEST));
    await Promise.all(batches.map(async batch => {
      const answer = await api('/api/curves', {runs: batch.map(row => row.run).join(','), names: metric});
      for (const row of batch) {
        const points = answer[row.run]?.[metric] ?? [];
        fetched.set(row.run, points);
        if (!isActive(row.state)) this.finalCurves.set(key(row), points);
      }
    }));
    return rows.map(row => fetched.get(row.run) ?? this.finalCurves.get(key(row)));
  }

  async drawCurves() {
    const metric = this.curveMetric.value;
    const chosen = this.rows.filter((row, index) => this.isTicked(row, index));
    if (!metric || chosen.length === 0) {
      this.chart.destroy();
      this.curvesCaption.textContent = metric ? 'No run ticked.' : 'No metric logged yet.';
      return;
    }
    const all = await this.curvesOf(chosen, metric);
    if (this.closed || metric !== this.curveMetric.value) return;
    const varying = this.varyingParameters();
    const settings = varying.filter(name => name !== SEED);
    const describe = (row, names) => names.map(name => name + '=' + show(row[name])).join(' ');
    const curves = chosen.map((row, i) => ({
      label: ('#' + row.run + ' ' + describe(row, varying)).trim(),
      group: JSON.stringify(settings.map(name => row[name] ?? null)),
      groupLabel: describe(row, settings) || 'all',
      points: all[i],
    }));
    this.chart.yLabel = metric;
    this.chart.update(curves, {logX: this.logX.checked, logY: this.logY.checked,
                               smoothing: Number(this.smoothing.value), aggregate: this.aggregate.checked});
    const points = all.reduce((sum, points) => sum + points.filter(([, value]) => value !== null).length, 0);
    this.curvesCaption.textContent = chosen.length + (chosen.length === 1 ? ' run, ' : ' runs, ') + points + ' points of ' + metric;
  }

  // Parallel coordinates and scatter from the rows; the importance from the
  // server when `importance` (the rows or the metric changed).
  drawAnalyses(importance) {
    if (!this.info) return;
    const metric = this.metric.value;
    const parameters = this.info.parameters;
    const varying = this.varyingParameters();
    const others = this.rows.length && 'parameter_count' in this.rows[0] ? ['parameter_count'] : [];
    setOptions(this.scatterX, [...parameters, ...others, ...this.info.metrics.filter(name => name !== metric)], varying[0]);
    if (!metric || this.rows.length === 0) {
      for (const container of [this.parallel, this.scatter, this.importance]) container.replaceChildren();
      return;
    }
    // Axes for the parameters that vary among the runs shown: a constant one says nothing.
    drawParallel(this.parallel, this.rows, varying.length ? varying : parameters, metric, this.openRun);
    drawScatter(this.scatter, this.rows, this.scatterX.value, metric, parameters.includes(this.scatterX.value), this.openRun);
    if (!importance) return;
    const query = {metric};
    if (this.appliedWhere) query.where = this.appliedWhere;
    api('/api/sweeps/' + encodeURIComponent(this.name) + '/importance', query)
      .then(answer => { if (!this.closed) drawImportance(this.importance, answer); })
      .catch(error => { this.importance.replaceChildren(element('p', {className: 'error'}, error.message)); });
  }
}
