// One run's page (?run=ID): what the database knows of it (parameters,
// state, exit, error, final metrics, the cell's attempts, notes, config),
// the tails of its stdout and stderr, and its curves. Refreshed by app.js
// while the run is active; once it has ended nothing changes any more.
import {api, isActive} from './api.js';
import {CurveChart} from './curves.js';
import {duration, element, show, table, viewLink} from './dom.js';

// Lines of each output shown, and curves drawn (a run may log thousands of metrics).
const TAIL_LINES = 200;
const CURVES_SHOWN = 12;

function time(seconds) {
  return seconds === null || seconds === undefined ? '' : new Date(seconds * 1000).toLocaleString();
}

function outputCaption(name, log) {
  if (!log.exists) return name + ': no file yet';
  return name + ': ' + log.bytes + ' bytes' + (log.truncated ? ', the last ' + TAIL_LINES + ' lines at most' : '');
}

export class RunView {
  constructor(root, id) {
    this.id = id;
    this.root = root;
    this.charts = new Map();  // metric -> CurveChart, kept across refreshes (and their zoom)
    this.ended = false;
    this.closed = false;
    this.summary = element('div', {id: 'run-summary'});
    this.curves = element('div', {id: 'run-curves', className: 'small-multiples'});
    this.curvesNote = element('p', {className: 'caption'});
    this.stdoutCaption = element('p', {className: 'caption'});
    this.stdout = element('pre', {id: 'stdout', className: 'log'});
    this.stderrCaption = element('p', {className: 'caption'});
    this.stderr = element('pre', {id: 'stderr', className: 'log'});
    this.config = element('pre', {id: 'config'});
    root.replaceChildren(element('h2', {id: 'run-title'}, 'Run ' + id), this.summary,
                         element('h3', {}, 'Curves'), this.curves, this.curvesNote,
                         element('h3', {}, 'Output'), this.stdoutCaption, this.stdout, this.stderrCaption, this.stderr,
                         element('h3', {}, 'Config'), this.config);
  }

  close() {
    this.closed = true;
    for (const chart of this.charts.values()) chart.destroy();
  }

  async refresh() {
    if (this.ended) return;
    const id = encodeURIComponent(this.id);
    const run = await api('/api/runs/' + id);
    const names = Object.keys(run.final_metrics).slice(0, CURVES_SHOWN);
    // Output that cannot be read (a log replaced by a pipe or a folder) is
    // said under Output; the rest of the run is shown all the same.
    const [logs, curves] = await Promise.all([
      api('/api/runs/' + id + '/logs', {tail: TAIL_LINES}).catch(error => ({error})),
      names.length ? api('/api/runs/' + id + '/metrics', {names: names.join(',')}) : Promise.resolve({}),
    ]);
    if (this.closed) return;
    this.drawSummary(run);
    this.drawCurves(curves, Object.keys(run.final_metrics).length);
    if (logs.error) {
      this.stdoutCaption.textContent = 'output not read: ' + logs.error.message;
      this.stdout.textContent = this.stderrCaption.textContent = this.stderr.textContent = '';
    } else {
      this.stdoutCaption.textContent = outputCaption('stdout', logs.stdout);
      this.stdout.textContent = logs.stdout.text;
      this.stderrCaption.textContent = outputCaption('stderr', logs.stderr);
      this.stderr.textContent = logs.stderr.text;
    }
    this.config.textContent = JSON.stringify(run.config, null, 2);
    this.ended = !isActive(run.state);
  }

  drawSummary(run) {
    const seconds = run.started_at && run.ended_at ? run.ended_at - run.started_at : null;
    const facts = [['state', run.state], ['attempt', run.attempt + ' of ' + run.attempts_of_cell], ['exit code', run.exit_code],
                   ['signal', run.signal], ['started', time(run.started_at)], ['ended', time(run.ended_at)],
                   ['took', duration(seconds)], ['device', run.device], ['host', run.host], ['error', run.error],
                   ['event problem', run.event_problem], ['parameter count', run.parameter_count],
                   ['program', run.program ? run.program.path : null], ['tags', run.tags.join(', ')],
                   ['run folder', run.paths.run_dir]]
      .filter(([, value]) => value !== null && value !== undefined && value !== '');
    const parameters = Object.entries(run.parameters);
    const metrics = Object.entries(run.final_metrics).map(([name, m]) => [name, m.step, m.last, m.min, m.max]);
    const attempts = run.attempts.map(a => [a.run === run.run ? String(a.run) : viewLink({run: a.run}, String(a.run)),
                                            a.attempt, a.state, a.exit_code, a.error]);
    const notes = run.notes.map(note => [time(note.time), note.text]);
    this.summary.replaceChildren(
      element('p', {}, 'Sweep ', viewLink({sweep: run.sweep}, run.sweep), ', cell ' + run.cell),
      element('div', {className: 'tables'}, table(['', ''], facts, 'facts'), table(['parameter', 'value'], parameters),
              table(['metric', 'step', 'last', 'min', 'max'], metrics)),
      element('h3', {}, 'Attempts of its cell'), table(['run', 'attempt', 'state', 'exit', 'error'], attempts),
      ...(notes.length ? [element('h3', {}, 'Notes'), table(['time', 'note'], notes)] : []));
  }

  drawCurves(curves, total) {
    for (const [name, points] of Object.entries(curves)) {
      if (!this.charts.has(name)) {
        const box = element('div', {className: 'chart'});
        this.curves.append(element('figure', {}, element('figcaption', {}, name), box));
        this.charts.set(name, new CurveChart(box, {height: 200}));
      }
      const chart = this.charts.get(name);
      chart.yLabel = name;
      chart.update([{label: name, group: name, groupLabel: name, points}]);
    }
    this.curvesNote.textContent = total > CURVES_SHOWN ? 'The first ' + CURVES_SHOWN + ' of its ' + total + ' metrics.' : '';
  }
}
