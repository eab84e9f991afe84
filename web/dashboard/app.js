// The dashboard (docs/api.md): the sweeps with live progress, and below them
// the view the address names: ?sweep=NAME (sweep_view.js), ?run=ID
// (run_view.js) or ?paper=[A,B] (paper_view.js). Everything is polled every
// 2 s; links between views change the address without reloading, so the
// browser's back button works.
import {api, viewUrl} from './api.js';
import {duration, element, viewLink} from './dom.js';
import {PaperView} from './paper_view.js';
import {RunView} from './run_view.js';
import {SweepView} from './sweep_view.js';

const byId = id => document.getElementById(id);
let view = null;

function showSweeps(sweeps) {
  const rows = sweeps.map(sweep => {
    const done = (sweep.cells.succeeded || 0) + (sweep.cells.failed || 0) + (sweep.cells.cancelled || 0) +
                 (sweep.cells['stopped early'] || 0);
    const bar = element('progress', {max: sweep.total || 1, value: done, title: done + ' of ' + sweep.total + ' cells done'});
    return element('tr', {},
                   element('td', {}, viewLink({sweep: sweep.sweep}, sweep.sweep)),
                   element('td', {}, sweep.state),
                   element('td', {}, bar),
                   ...['succeeded', 'failed', 'running', 'pending']
                     .map(state => element('td', {className: 'number'}, sweep.cells[state] || 0)),
                   // Nothing left to run: no estimate, rather than "0s".
                   element('td', {}, (sweep.cells.running || 0) + (sweep.cells.pending || 0) > 0
                     ? duration(sweep.eta_seconds) : '\u2014'));
  });
  byId('sweeps').tBodies[0].replaceChildren(...rows);
  byId('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

function route() {
  if (view) view.close();
  const params = new URLSearchParams(location.search);
  const run = params.get('run');
  const sweep = params.get('sweep');
  const paper = !run && !sweep && params.has('paper') ? params.get('paper') : null;
  byId('sweep-view').hidden = !sweep || Boolean(run);
  byId('run-view').hidden = !run;
  byId('paper-view').hidden = paper === null;
  view = run ? new RunView(byId('run-view'), run)
       : sweep ? new SweepView(byId('sweep-view'), sweep, openRun)
       : paper !== null ? new PaperView(byId('paper-view'), paper) : null;
}

function navigate(url) {
  history.pushState(null, '', url);
  route();
  refresh();
}

function openRun(id) {
  navigate(viewUrl({run: id}));
}

// One refresh at a time; one asked for meanwhile runs right after.
let refreshing = false;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    // The view asks for its own data meanwhile: one round trip less before it shows.
    const sweeps = api('/api/sweeps');
    await Promise.all([sweeps.then(showSweeps), view?.refresh(sweeps)]);
    byId('problem').textContent = '';
  } catch (error) {
    byId('problem').textContent = error.message;
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

document.addEventListener('click', event => {
  const link = event.target.closest('a[data-view]');
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.href);
});
window.addEventListener('popstate', () => { route(); refresh(); });
byId('home').href = viewUrl({});
byId('home').dataset.view = '';
byId('paper').href = viewUrl({paper: ''});
byId('paper').dataset.view = '';
route();
refresh();
setInterval(refresh, 2000);
