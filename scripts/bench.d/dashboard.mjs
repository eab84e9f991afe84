// `scripts/bench dashboard`: the dashboard at scale. Builds the database of
// `scripts/bench db` (2,000 runs x 2,000 steps x 5 metrics = 20 M points, by
// headroom-bench-db through the real ingestion path), starts a real
// `headroom serve` on it and times, as a user meets them:
//   - the first page load (headless Chromium, puppeteer-core from
//     tests/browser/node_modules): the sweeps, and a sweep's page with its
//     2,000 runs and the curves of the 50 runs it ticks;
//   - the curves of 100 runs from the API: one /api/curves request, and the
//     100 single-run requests it replaces (6 at a time, as a browser sends them);
//   - the runs table filtered: /api/runs?where=..., and in the page from the
//     filter's submit to the table redrawn.
// Prints a Markdown table of medians with the targets (issue 21).
//
//   node scripts/bench.d/dashboard.mjs --bin DIR [--runs N] [--steps N] [--folder DIR] [--repeats N] [--reuse]
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const options = {bin: 'build/release/bin', runs: 2000, steps: 2000, folder: '/tmp/headroom-bench-dashboard', repeats: 7,
                 reuse: false};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; ++i) {
  const name = argv[i].replace(/^--/, '');
  if (name === 'reuse') options.reuse = true;
  else if (name in options && i + 1 < argv.length) options[name] = typeof options[name] === 'number' ? Number(argv[++i]) : argv[++i];
  else {
    console.error('usage: dashboard.mjs --bin DIR [--runs N] [--steps N] [--folder DIR] [--repeats N] [--reuse]');
    process.exit(2);
  }
}
// The filter `scripts/bench db` times, and the runs whose curves are asked for at once.
const WHERE = "d_model >= 128 and heads in (8, 16) and attention = 'fixed'";
const CURVE_RUNS = 100;
// Requests a browser sends at once to one host over HTTP/1.1.
const BROWSER_CONNECTIONS = 6;

const headroom = path.resolve(options.bin, 'headroom');
const database = path.join(options.folder, 'bench.db');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// The median time of `body`, less what it reports as the client's own work
// (parsing JSON) when `clientMs` reads it.
async function timed(repeats, body, clientMs = () => 0) {
  await body();  // warm: the first answer pays for SQLite's page cache
  const times = [];
  for (let i = 0; i < repeats; ++i) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start - clientMs());
  }
  return median(times);
}

function buildDatabase() {
  if (options.reuse && fs.existsSync(database)) return 'reused ' + database;
  const start = performance.now();
  execFileSync(path.resolve(options.bin, 'headroom-bench-db'), ['--runs', String(options.runs), '--steps', String(options.steps),
                                                                '--folder', options.folder, '--repeats', '1'], {stdio: 'ignore'});
  return 'built in ' + ((performance.now() - start) / 1000).toFixed(0) + ' s';
}

async function startServer() {
  const child = spawn(headroom, ['--db', database, 'serve', '--port', '0'], {stdio: ['ignore', 'pipe', 'inherit']});
  const line = await new Promise(resolve => {
    readline.createInterface({input: child.stdout}).once('line', resolve);
    child.once('exit', () => resolve(null));
  });
  const url = line && line.match(/http:\/\/\S+/);
  if (!url) throw new Error('headroom serve did not start on ' + database);
  return {child, url: url[0]};
}

// The answer, read whole (the API's part), then parsed (the client's).
async function get(base, pathname, query = {}) {
  const response = await fetch(new URL(pathname + '?' + new URLSearchParams(query), base));
  const text = await response.text();
  if (!response.ok) throw new Error(pathname + ': ' + response.status + ' ' + text);
  const received = performance.now();
  const body = JSON.parse(text);
  return {bytes: text.length, body, parseMs: performance.now() - received};
}

async function measureApi(base, rows) {
  const results = [];
  const step = Math.max(1, Math.floor(rows.length / CURVE_RUNS));
  const runs = rows.filter((_, i) => i % step === 0).slice(0, CURVE_RUNS).map(row => row.run);
  let answer;
  const parses = [];
  const batch = await timed(options.repeats, async () => {
    answer = await get(base, '/api/curves', {runs: runs.join(','), names: 'train/loss'});
    parses.push(answer.parseMs);
  }, () => answer.parseMs);
  const points = Object.values(answer.body).reduce((sum, curves) => sum + curves['train/loss'].length, 0);
  results.push(['curves of ' + runs.length + ' runs, one /api/curves request (answer received)',
                batch, points + ' points, ' + (answer.bytes / 1e6).toFixed(1) + ' MB', '< 100 ms']);
  results.push(['... and parsed (JSON.parse in node)', batch + median(parses), '', '']);
  const single = await timed(Math.min(options.repeats, 3), async () => {
    const queue = [...runs];
    await Promise.all(Array.from({length: BROWSER_CONNECTIONS}, async () => {
      while (queue.length) await get(base, '/api/runs/' + queue.shift() + '/metrics', {names: 'train/loss'});
    }));
  });
  results.push(['the same as ' + runs.length + ' /api/runs/ID/metrics requests, ' + BROWSER_CONNECTIONS + ' at a time',
                single, 'what the page sent before /api/curves', '']);
  let filtered;
  const where = await timed(options.repeats, async () => {
    filtered = await get(base, '/api/runs', {sweep: 'bench', where: WHERE, sort: '-eval/accuracy'});
  });
  results.push(['runs filtered: /api/runs?where=...&sort=-eval/accuracy', where, filtered.body.length + ' rows', '< 100 ms']);
  let all;
  const table = await timed(options.repeats, async () => { all = await get(base, '/api/runs', {sweep: 'bench'}); });
  results.push(['every run: /api/runs?sweep=bench (the sweep page\'s table)', table,
                all.body.length + ' rows, ' + (all.bytes / 1e6).toFixed(2) + ' MB', '']);
  return {results, filteredRows: filtered.body.length};
}

// The moment (ms after navigation start) at which `condition` first holds,
// checked at every change of the document, and the document is laid out for
// the next frame (forced here: what the browser must do before it paints).
function shownAt(page, condition, argument) {
  const laidOut = 'new Promise(resolve => requestAnimationFrame(() => { document.body.offsetHeight; resolve(performance.now()); }))';
  return page.waitForFunction(`(${condition})(${JSON.stringify(argument)}) && ${laidOut}`,
                              {polling: 'mutation', timeout: 60000}).then(handle => handle.jsonValue());
}

// The runs table shows `runs` runs (100 rows of them at a time).
function tableOf(runs) {
  return document.querySelector('#runs tbody tr') && document.getElementById('runs-page').textContent.endsWith(' of ' + runs);
}

async function measurePage(base, filteredRows) {
  const require = createRequire(new URL('../../tests/browser/package.json', import.meta.url));
  let puppeteer;
  try {
    puppeteer = require('puppeteer-core');
  } catch {
    return {results: [], note: 'page timings skipped: tests/browser/node_modules is missing (npm ci there)'};
  }
  const chromium = [process.env.HEADROOM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(f => f && fs.existsSync(f));
  if (!chromium) return {results: [], note: 'page timings skipped: Chromium is not installed'};
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const results = [];
  try {
    // Each load in a fresh context: nothing cached (the server sends no-store anyway).
    const load = async (url, milestones) => {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({width: 1400, height: 1000});
      page.on('pageerror', error => console.error('page error: ' + error.message));
      await page.goto(url, {waitUntil: 'domcontentloaded'});
      const times = [];
      for (const [condition, argument] of milestones) times.push(await shownAt(page, condition, argument));
      return {page, context, times};
    };
    const repeat = async (url, milestones) => {
      const all = [];
      for (let i = 0; i <= options.repeats; ++i) {
        const {context, times} = await load(url, milestones);
        await context.close();
        if (i > 0) all.push(times);  // the first warms the server's cache
      }
      return milestones.map((_, m) => median(all.map(times => times[m])));
    };
    const [sweeps] = await repeat(base, [[() => document.querySelector('#sweeps tbody tr'), null]]);
    results.push(['first page load: / until the sweeps are shown', sweeps, 'headless Chromium, from navigation start', '< 1 s']);
    const sweepPage = await repeat(base + '?sweep=bench', [
      [tableOf, options.runs],
      [() => /^50 runs, \d+ points/.test(document.getElementById('curves-caption')?.textContent ?? ''), null],
    ]);
    results.push(['first page load: /?sweep=bench until its runs table is shown', sweepPage[0],
                  'the first 100 of ' + options.runs + ' runs', '< 1 s']);
    results.push(['... and until the curves of its first 50 runs are drawn', sweepPage[1], '', '']);

    // The filter, from its submit to the table redrawn, alternating with no filter.
    const {page, context} = await load(base + '?sweep=bench', [[tableOf, options.runs]]);
    const apply = async (where, rows) => {
      const start = await page.evaluate(text => {
        document.getElementById('where').value = text;
        const started = performance.now();
        document.getElementById('filter').requestSubmit();
        return started;
      }, where);
      return (await shownAt(page, tableOf, rows)) - start;
    };
    // The charts below the table are drawn after it: let them finish before the next submit.
    const settle = () => page.evaluate(() => new Promise(resolve => setTimeout(() => requestIdleCallback(resolve), 300)));
    const times = [];
    for (let i = 0; i <= options.repeats; ++i) {
      const time = await apply(WHERE, filteredRows);
      if (i > 0) times.push(time);
      await settle();
      await apply('', options.runs);
      await settle();
    }
    results.push(['runs table filtered in the page: submit to table redrawn', median(times), filteredRows + ' of ' + options.runs +
                  ' rows', '< 100 ms']);
    await context.close();
  } finally {
    await browser.close();
  }
  return {results, note: ''};
}

function format(ms) {
  return ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(1) + ' ms';
}

function met(ms, target) {
  if (!target) return '';
  const [, number, unit] = target.match(/< ([\d.]+) (ms|s)/);
  return ms < Number(number) * (unit === 's' ? 1000 : 1) ? 'yes' : 'no';
}

const built = buildDatabase();
const server = await startServer();
try {
  const rows = (await get(server.url, '/api/runs', {sweep: 'bench', columns: 'run', sort: 'run'})).body;
  const api = await measureApi(server.url, rows);
  const page = await measurePage(server.url, api.filteredRows);
  const megabytes = fs.statSync(database).size / 1e6;
  console.log('database: ' + rows.length + ' runs x ' + options.steps + ' steps x 5 metrics = ' +
              (rows.length * options.steps * 5 / 1e6).toFixed(1) + ' M points, ' + megabytes.toFixed(0) + ' MB (' + built + ')');
  console.log('machine: ' + os.cpus().length + ' x ' + os.cpus()[0].model + ', ' + (os.totalmem() / 2 ** 30).toFixed(0) +
              ' GiB; node ' + process.version + '; ' + new Date().toISOString().slice(0, 10));
  console.log('medians of ' + options.repeats + ' after one warm-up' + (page.note ? '; ' + page.note : '') + '\n');
  console.log('| measurement | median | size | target | met |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [what, ms, size, target] of [...page.results, ...api.results]) {
    console.log('| ' + [what, format(ms), size, target, met(ms, target)].join(' | ') + ' |');
  }
} finally {
  server.child.kill('SIGTERM');
}
