// The dashboard in a real browser: puppeteer-core drives Debian's headless
// Chromium against a real `headroom serve` on the real database of a real
// sweep (headroom-cpp-worker, a program sweep), first while the sweep runs,
// then once it has finished; and the paper view on the committed database of
// the paper's sweeps (docs/results/data). Each test leaves a screenshot.
//
//   node tests/browser/dashboard.test.mjs BIN_DIR [SCREENSHOT_DIR]
//
// BIN_DIR holds headroom and headroom-cpp-worker (build/release/bin);
// screenshots go to SCREENSHOT_DIR, else $HEADROOM_SCREENSHOTS, else
// BIN_DIR/../browser-screenshots. Exits 77 (ctest: skipped) where Chromium or
// this folder's node_modules (npm ci; scripts/test runs it) are missing.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {after, before, test} from 'node:test';

const [binDir, screenshotArgument] = process.argv.slice(2);
if (!binDir) {
  console.error('usage: node dashboard.test.mjs BIN_DIR [SCREENSHOT_DIR]');
  process.exit(2);
}
function skip(why) {
  console.log('browser_dashboard: skipped: ' + why);
  process.exit(77);
}
const chromium = [process.env.HEADROOM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  .find(file => file && fs.existsSync(file));
if (!chromium) skip('Chromium is not installed (scripts/test installs Debian\'s chromium)');
let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch {
  skip('tests/browser/node_modules is missing: run `npm ci` in tests/browser (scripts/test does)');
}

const headroom = path.resolve(binDir, 'headroom');
const worker = path.resolve(binDir, 'headroom-cpp-worker');
for (const binary of [headroom, worker]) {
  if (!fs.existsSync(binary)) {
    console.error('browser_dashboard: ' + binary + ' is missing: build it first');
    process.exit(1);
  }
}
const screenshots = screenshotArgument || process.env.HEADROOM_SCREENSHOTS || path.join(binDir, '..', 'browser-screenshots');
fs.mkdirSync(screenshots, {recursive: true});

const PAYLOAD = '<img src=x onerror=window.owned=1>';
const STEPS = 20;
const CELLS = 12;  // x (3) * lr (2) * seed (2)
// 20 steps of 80 ms: the sweep runs long enough (about 10 s with -j 2) for
// the page to watch it advance.
const SWEEP = `name: live
program: ${worker}
metric: {name: eval/loss, goal: minimize}
parameters:
  x: {values: [1.0, 2.0, 3.0]}
  lr: {values: [0.05, 0.3]}
  seed: {values: [1, 2]}
  steps: {value: ${STEPS}}
  step_ms: {value: 80}
  label: {value: "${PAYLOAD}"}
`;

// The paper's sweeps as docs/results/paper reports them, named by its title.
const PAPER_SWEEPS = fs.readFileSync(new URL('../../docs/results/paper/report.md', import.meta.url), 'utf8')
  .split('\n')[0].replace('# Headroom report: ', '').split(', ');
const committedResults = new URL('../../docs/results/data/results.db', import.meta.url);

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'headroom-browser-'));
const database = path.join(folder, 'headroom.db');
let sweep, browser, page, url, sweepEnded;
const servers = [];
const problems = [];  // console errors, uncaught exceptions, failed requests

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// `headroom serve --port 0` on `file`; resolves to the URL it prints.
// The database may not be migrated yet when the sweep has only just started:
// then serve exits at once and is tried again.
async function startServer(file = database) {
  for (let attempt = 0; attempt < 100; ++attempt) {
    if (fs.existsSync(file)) {
      const child = spawn(headroom, ['--db', file, 'serve', '--port', '0'], {stdio: ['ignore', 'pipe', 'pipe']});
      const line = await new Promise(resolve => {
        readline.createInterface({input: child.stdout}).once('line', resolve);
        child.once('exit', () => resolve(null));
        child.once('error', () => resolve(null));
      });
      const found = line && line.match(/http:\/\/\S+/);
      if (found) {
        servers.push(child);
        return found[0];
      }
    }
    await sleep(100);
  }
  throw new Error('headroom serve did not start on ' + file);
}

async function api(pathname, base = url) {
  const response = await fetch(new URL(pathname, base));
  return response.json();
}

async function shoot(name) {
  await page.screenshot({path: path.join(screenshots, name + '.png'), fullPage: true});
}

function assertNoProblems() {
  assert.deepEqual(problems.splice(0), [], 'the page logged errors');
}

before(async () => {
  // The browser first: the sweep must still be running when the page first looks.
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // The flags a machine without a display, a sandbox or a network needs.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.setViewport({width: 1400, height: 1000});
  page.on('console', message => { if (message.type() === 'error') problems.push('console: ' + message.text()); });
  page.on('pageerror', error => problems.push('uncaught: ' + error.message));
  page.on('requestfailed', request => problems.push('failed: ' + request.url() + ' ' + request.failure()?.errorText));
  page.on('response', response => { if (response.status() >= 400) problems.push(response.status() + ': ' + response.url()); });

  fs.writeFileSync(path.join(folder, 'live.yaml'), SWEEP);
  sweep = spawn(headroom, ['run', path.join(folder, 'live.yaml'), '-j', '2', '--quiet'],
                {cwd: folder, stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  sweep.stderr.on('data', chunk => { stderr += chunk; });
  sweepEnded = new Promise(resolve => {
    sweep.once('exit', code => resolve({code, stderr}));
    sweep.once('error', error => resolve({code: -1, stderr: error.message}));
  });
  url = await startServer();
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.kill('SIGTERM');
  if (sweep && sweep.exitCode === null) sweep.kill('SIGTERM');
  await sweepEnded;
  fs.rmSync(folder, {recursive: true, force: true});
});

test('the page loads without errors and its progress advances while the sweep runs', async () => {
  // The script is a separate file: the policy allows no inline script.
  await page.goto(url, {waitUntil: 'networkidle0'});
  const progress = () => page.$eval('#sweeps tbody tr progress', bar => ({value: bar.value, max: bar.max}));
  await page.waitForSelector('#sweeps tbody tr progress');
  const first = await progress();
  assert.equal(first.max, CELLS);
  assert.ok(first.value < CELLS, 'the sweep had finished before the page saw it run: make it longer');
  await shoot('sweeps-running');
  await page.waitForFunction(value => document.querySelector('#sweeps tbody tr progress').value > value,
                             {timeout: 20000, polling: 200}, first.value);
  assertNoProblems();
});

test('the filter narrows the table of runs', async () => {
  const ended = await sweepEnded;
  assert.equal(ended.code, 0, ended.stderr);
  await page.goto(url + '?sweep=live', {waitUntil: 'networkidle0'});
  const rows = () => page.$$eval('#runs tbody tr', list => list.length);
  await page.waitForFunction(cells => document.querySelectorAll('#runs tbody tr').length === cells, {}, CELLS);
  await page.type('#where', 'x = 1 and lr = 0.05');
  await page.click('#filter button');
  await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2, {timeout: 10000});
  assert.equal(await rows(), 2);
  const xs = await page.$$eval('#runs tbody tr', list => list.map(row => row.textContent));
  assert.equal(xs.length, 2);
  await page.type('#where', ' and');  // a broken filter says why and keeps the table
  await page.click('#filter button');
  await page.waitForFunction(() => document.getElementById('filter-error').textContent !== '');
  assert.equal(await rows(), 2);
  await page.$eval('#where', input => { input.value = ''; });
  await page.type('#where', 'x = 1 and lr = 0.05');
  await page.click('#filter button');
  await page.waitForFunction(() => document.getElementById('filter-error').textContent === '');
  // The broken filter's 400s were meant (one may still have been on its way).
  await sleep(500);
  assert.ok(problems.every(problem => problem.includes('400')), problems.join('\n'));
  problems.splice(0);
  await shoot('sweep-filtered');
  assertNoProblems();
});

test('a curve renders every point of the runs ticked, and seeds average into one line', async () => {
  const caption = '2 runs, ' + 2 * STEPS + ' points of train/loss';
  await page.waitForFunction(text => document.getElementById('curves-caption').textContent === text, {timeout: 10000}, caption);
  // The canvas holds drawn pixels, not a blank plot.
  const inked = await page.$eval('#curves canvas', canvas => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ++count;
    return count;
  });
  assert.ok(inked > 100, 'the curve canvas is blank');
  const legend = () => page.$$eval('#curves .u-legend .u-series .u-label', labels => labels.map(label => label.textContent));
  const runs = await legend();
  assert.equal(runs.length, 3, 'step and one series per run: ' + runs);
  await page.click('#aggregate');
  await page.waitForFunction(() => document.querySelectorAll('#curves .u-legend .u-series').length === 4);
  const averaged = await legend();
  assert.match(averaged[1], /\(mean of 2\)$/);
  await page.click('#log-y');
  await page.$eval('#smoothing', input => { input.value = '0.6'; input.dispatchEvent(new Event('input')); });
  await shoot('curves-mean-over-seeds');
  assertNoProblems();
});

test('a run page opens from the table with its output, config and curves', async () => {
  const id = await page.$eval('#runs tbody tr a', link => link.textContent);
  await page.click('#runs tbody tr a');
  await page.waitForFunction(() => document.getElementById('stdout')?.textContent.includes('final loss'), {timeout: 10000});
  assert.equal(new URL(page.url()).searchParams.get('run'), id);
  assert.equal(await page.$eval('#run-title', title => title.textContent), 'Run ' + id);
  const details = await api('/api/runs/' + id);
  assert.equal(details.state, 'succeeded');
  const facts = await page.$eval('#run-summary', summary => summary.textContent);
  assert.ok(facts.includes('succeeded'), facts);
  assert.ok((await page.$eval('#config', config => config.textContent)).includes('"lr"'));
  await page.waitForFunction(count => document.querySelectorAll('#run-curves canvas').length >= count, {},
                             Object.keys(details.final_metrics).length);
  await shoot('run');
  await page.goBack();
  await page.waitForSelector('#runs tbody tr');
  assertNoProblems();
});

test('parallel coordinates, the scatter and the importance show every finished run', async () => {
  await page.goto(url + '?sweep=live', {waitUntil: 'networkidle0'});
  await page.waitForFunction(cells => document.querySelectorAll('#parallel polyline').length === cells, {}, CELLS);
  assert.equal(await page.$$eval('#scatter circle', dots => dots.length), CELLS);
  await page.waitForSelector('table.importance');
  const importance = await api('/api/sweeps/live/importance');
  assert.equal(importance.runs, CELLS);
  const shown = await page.$$eval('table.importance tbody tr th', cells => cells.map(cell => cell.textContent));
  assert.deepEqual(shown, importance.parameters.map(item => item.name));
  const seed = importance.parameters.find(item => item.name === 'seed');
  assert.ok(seed.importance < 1e-9, 'the worker ignores its seed: ' + JSON.stringify(seed));
  await shoot('parallel-scatter-importance');
  assertNoProblems();
});

test('a parameter value that is an XSS payload stays text', async () => {
  await page.select('#scatter-x', 'label');
  await page.waitForFunction(() => [...document.querySelectorAll('#scatter text title')].length > 0);
  const found = await page.evaluate(payload => ({
    images: document.querySelectorAll('img').length,
    owned: typeof window.owned,
    inTable: [...document.querySelectorAll('#runs td')].some(cell => cell.textContent === payload),
    inAxis: [...document.querySelectorAll('#scatter text title')].some(title => title.textContent === payload),
  }), PAYLOAD);
  assert.deepEqual(found, {images: 0, owned: 'undefined', inTable: true, inAxis: true});
  await shoot('payload-as-text');
  assertNoProblems();
});

test('the paper view of a program sweep shows its figures, and the payload stays text', async () => {
  await page.goto(url + '?sweep=live', {waitUntil: 'networkidle0'});
  await page.click('a[href*="paper=live"]');
  await page.waitForFunction(() => document.querySelectorAll('#paper-sections figure canvas').length > 0, {timeout: 10000});
  assert.equal(await page.$eval('#paper-title', title => title.textContent), 'The paper\'s claims: live');
  const found = await page.evaluate(payload => ({
    images: document.querySelectorAll('img').length,
    owned: typeof window.owned,
    inTable: [...document.querySelectorAll('#paper-sections td')].some(cell => cell.textContent === payload),
  }), PAYLOAD);
  assert.deepEqual(found, {images: 0, owned: 'undefined', inTable: true});
  await shoot('paper-program-sweep');
  assertNoProblems();
});

test('the paper view shows the claims with verdicts and intervals, and the rank against its cap', async () => {
  // The committed database is at an older schema version: a migrated copy, as scripts/results makes.
  const results = path.join(folder, 'results.db');
  fs.copyFileSync(committedResults, results);
  execFileSync(headroom, ['--db', results, 'db', 'migrate', '--no-backup'], {stdio: 'ignore'});
  const paperUrl = await startServer(results);
  const report = await api('/api/report?sweep=' + PAPER_SWEEPS.join(','), paperUrl);
  assert.ok(report.claims.length > 20, 'the paper\'s sweeps test many claims');
  await page.goto(paperUrl + '?paper=' + PAPER_SWEEPS.join(','), {waitUntil: 'domcontentloaded'});
  await page.waitForFunction(count => document.querySelectorAll('#claims tbody tr').length === count, {timeout: 10000},
                             report.claims.length);
  const rows = await page.$$eval('#claims tbody tr', list => list.map(row => [...row.cells].map(cell => cell.textContent)));
  assert.deepEqual(rows.map(cells => cells[6]), report.claims.map(claim => claim.holm_verdict));
  assert.deepEqual(rows.map(cells => cells[5]), report.claims.map(claim => claim.verdict));
  // Each tested claim shows its interval, drawn against 0.
  const tested = report.claims.filter(claim => claim.advantage);
  assert.equal(await page.$$eval('#claims svg.interval', glyphs => glyphs.length), tested.length);
  assert.ok(rows[0][4].includes('[') && rows[0][4].includes('paired over 3 seeds'), rows[0][4]);
  // Every figure of the report is drawn, the rank beside its cap among them.
  const figures = report.sections.flatMap(section => section.figures);
  await page.waitForFunction(count => document.querySelectorAll('#paper-sections figure canvas').length === count, {},
                             figures.length);
  const rank = await page.$eval('#figure-paper-heads-rank', figure => ({
    legend: [...figure.querySelectorAll('.u-legend .u-series .u-label')].map(label => label.textContent),
    inked: (() => {
      const canvas = figure.querySelector('canvas');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ++count;
      return count;
    })(),
  }));
  assert.ok(rank.legend.includes('cap min(head_size, seq_len)'), rank.legend.join(', '));
  assert.ok(rank.inked > 100, 'the rank figure is blank');
  assert.equal(await page.$$eval('table.ranks', tables => tables.length), report.sections.filter(s => s.ranks.length).length);
  await shoot('paper');
  assertNoProblems();
});

test('columns taken out of the table stay out after a reload, and come back', async () => {
  await page.goto(url + '?sweep=live', {waitUntil: 'networkidle0'});
  const headers = () => page.$$eval('#runs thead th', list => list.map(th => th.textContent.replace(/ [▲▼]$/, '')));
  await page.waitForFunction(() => document.querySelector('#columns input[data-column="lr"]'));
  assert.ok((await headers()).includes('lr'));
  await page.click('#columns summary');
  await page.click('#columns input[data-column="lr"]');
  await page.waitForFunction(() => ![...document.querySelectorAll('#runs thead th')].some(th => th.textContent === 'lr'));
  assert.ok((await headers()).includes('x'), 'only the column taken out goes');
  await page.reload({waitUntil: 'networkidle0'});
  await page.waitForFunction(() => document.querySelector('#runs tbody tr'));
  assert.ok(!(await headers()).includes('lr'), 'the choice is kept');
  await page.click('#columns summary');
  await page.click('#columns input[data-column="lr"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#runs thead th')].some(th => th.textContent === 'lr'));
  assertNoProblems();
});
