#pragma once
// The dashboard's page, script and style, embedded in the binary (no CDN:
// it works offline). Plain JavaScript over the JSON API (docs/api.md): the
// sweeps with live progress (polled every 2 s), a sweep's runs filtered with
// the CLI's --where language (?sweep=NAME opens one), one run's details. Every value from the
// database is put in the page as text (textContent), never as HTML.

namespace headroom::page {

inline constexpr const char* kHtml = R"page(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Headroom</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header><h1>Headroom</h1><span id="updated"></span></header>
<section><h2>Sweeps</h2><table id="sweeps"><thead><tr><th>sweep</th><th>state</th><th>progress</th>
<th>succeeded</th><th>failed</th><th>running</th><th>pending</th><th>ETA</th></tr></thead><tbody></tbody></table></section>
<section id="runs-section" hidden><h2 id="runs-title"></h2>
<form id="filter"><input id="where" size="60" placeholder="--where, e.g. heads >= 8 and state = 'succeeded'">
<button>filter</button> <span id="filter-error"></span></form>
<table id="runs"><thead></thead><tbody></tbody></table></section>
<section id="run-section" hidden><h2 id="run-title"></h2><pre id="run"></pre></section>
</body>
</html>
)page";

inline constexpr const char* kScript = R"page('use strict';
// The token, when the server asked for one, travels with every API call.
const token = new URLSearchParams(location.search).get('token');
let chosenSweep = null;

function api(path, query = {}) {
  const params = new URLSearchParams(query);
  if (token) params.set('token', token);
  const text = params.toString();
  return fetch(path + (text ? '?' + text : '')).then(async response => {
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  });
}

function cell(row, value) {
  const td = document.createElement('td');
  td.textContent = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  row.appendChild(td);
  return td;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.round(seconds);
  return s >= 3600 ? Math.floor(s / 3600) + 'h' + Math.floor(s % 3600 / 60) + 'm' : s >= 60 ? Math.floor(s / 60) + 'm' + (s % 60) + 's' : s + 's';
}

function showSweeps(sweeps) {
  const body = document.querySelector('#sweeps tbody');
  body.replaceChildren();
  for (const sweep of sweeps) {
    const row = document.createElement('tr');
    const name = cell(row, sweep.sweep);
    name.className = 'link';
    name.addEventListener('click', () => chooseSweep(sweep.sweep));
    cell(row, sweep.state);
    const done = (sweep.cells.succeeded || 0) + (sweep.cells.failed || 0) + (sweep.cells.cancelled || 0);
    const bar = document.createElement('progress');
    bar.max = sweep.total || 1;
    bar.value = done;
    row.appendChild(document.createElement('td')).appendChild(bar);
    for (const state of ['succeeded', 'failed', 'running', 'pending']) cell(row, sweep.cells[state] || 0);
    cell(row, duration(sweep.eta_seconds));
    body.appendChild(row);
  }
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

function showRuns(rows) {
  const head = document.querySelector('#runs thead');
  const body = document.querySelector('#runs tbody');
  head.replaceChildren();
  body.replaceChildren();
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const header = document.createElement('tr');
  for (const column of columns) {
    const th = document.createElement('th');
    th.textContent = column;
    header.appendChild(th);
  }
  head.appendChild(header);
  for (const run of rows) {
    const row = document.createElement('tr');
    for (const column of columns) {
      const td = cell(row, run[column]);
      if (column === 'run') {
        td.className = 'link';
        td.addEventListener('click', () => chooseRun(run.run));
      }
    }
    body.appendChild(row);
  }
}

function refreshRuns() {
  if (!chosenSweep) return;
  const where = document.getElementById('where').value;
  api('/api/runs', where ? {sweep: chosenSweep, where} : {sweep: chosenSweep})
    .then(rows => { document.getElementById('filter-error').textContent = ''; showRuns(rows); })
    .catch(error => { document.getElementById('filter-error').textContent = error.message; });
}

function chooseSweep(name) {
  chosenSweep = name;
  document.getElementById('runs-section').hidden = false;
  document.getElementById('runs-title').textContent = 'Runs of ' + name;
  refreshRuns();
}

function chooseRun(id) {
  api('/api/runs/' + encodeURIComponent(id)).then(run => {
    document.getElementById('run-section').hidden = false;
    document.getElementById('run-title').textContent = 'Run ' + id;
    document.getElementById('run').textContent = JSON.stringify(run, null, 2);
  });
}

function refresh() {
  api('/api/sweeps').then(showSweeps).catch(error => { document.getElementById('updated').textContent = error.message; });
  refreshRuns();
}

document.getElementById('filter').addEventListener('submit', event => { event.preventDefault(); refreshRuns(); });
// ?sweep=NAME opens that sweep's runs (a link to share).
const linked = new URLSearchParams(location.search).get('sweep');
if (linked) chooseSweep(linked);
refresh();
setInterval(refresh, 2000);
)page";

inline constexpr const char* kStyle = R"page(body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
header { display: flex; align-items: baseline; gap: 1em; }
h1 { font-size: 1.4em; margin: 0; }
#updated { color: #777; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; white-space: nowrap; }
.link { color: #0645ad; cursor: pointer; text-decoration: underline; }
#filter-error { color: #b00; }
pre { background: #f6f6f6; padding: 1em; overflow: auto; max-height: 40em; }
)page";

}  // namespace headroom::page
