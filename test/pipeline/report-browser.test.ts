/**
 * The report as a reader sees it: a real sweep over two seeds (weak teacher,
 * ceiling, adaptconf and augconf students on Fashion-MNIST) with storage on
 * fake-gcs-server, then `w2s report --out` writes the HTML of a run and of
 * the sweep to local files, and headless Chromium opens them: no console
 * errors, every plot drawn with marks, the class names on the axes. The
 * run's page is kept as a screenshot at $W2S_REPORT_SCREENSHOT (default
 * <tmp>/w2s-report.png), and beside it the page itself (.html).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { FakeGcs } from '../harness/fake-gcs.js';
import { tinyConfig } from '../harness/pipeline.js';
import { CLI, type InProcessWorkers, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = process.env.W2S_REPORT_SCREENSHOT ?? join(tmpdir(), 'w2s-report.png');
const STORAGE = 'gs://w2s-report/root';
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

let gcs: FakeGcs;
let temporal: TemporalHarness;
let workers: InProcessWorkers;
let browser: Browser;
let dir: string;

before(async () => {
  await access(CHROMIUM).catch(() => {
    throw new Error(`no Chromium at ${CHROMIUM}: install it (bash deploy/local/setup.sh does) or point $CHROMIUM at one`);
  });
  dir = await mkdtemp(join(tmpdir(), 'w2s-report-'));
  gcs = await FakeGcs.start({ buckets: ['w2s-report'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  temporal = await TemporalHarness.start();
  workers = await temporal.inProcessWorkers();
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  await workers?.shutdown();
  await temporal?.stop();
  await gcs?.dispose();
  delete process.env.STORAGE_EMULATOR_HOST;
  await rm(dir, { recursive: true, force: true });
});

const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args], { env: { ...process.env, ...gcs.env } })).stdout;

interface PageCheck {
  readonly errors: string[];
  readonly plots: { id: string; marks: number }[];
  readonly text: string;
}

/** Opens a report file in Chromium: console errors, each plot's count of drawn marks (bars, lines, cells, points), the page's text. */
async function open(file: string, screenshot?: string): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  // Nothing may be fetched: a self-contained page asks for no URL but its own.
  page.on('request', (request) => {
    if (request.url() !== pathToFileURL(file).href) errors.push(`fetched ${request.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  const plots = await page.$$eval('figure.plot', (figures) =>
    figures.map((figure) => ({ id: figure.getAttribute('data-plot') ?? '', marks: figure.querySelectorAll('svg g.role-mark > path, svg g.role-mark > line, svg g.role-mark > text').length })),
  );
  const text = await page.innerText('body');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { errors, plots, text };
}

test('a sweep over two seeds on GCS: each run\'s report and the sweep\'s open in Chromium with every plot drawn', async () => {
  const config = tinyConfig(STORAGE, { name: 'report', students: [{ method: 'ceiling' }, { method: 'adaptconf' }, { method: 'augconf' }] });
  const configFile = join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config));
  await w2s('sweep', '--config', configFile, '--seed', '0,1', '--parallelism', '2', '--id', 'report-sweep', '--wait', '--json', '--address', temporal.address);

  const runFile = join(dir, 'run.html');
  const printed = await w2s('report', 'report-sweep-s0', '--storage', STORAGE, '--out', runFile);
  assert.match(printed, new RegExp(`html: ${runFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`), 'a bucket\'s report is written to the local file and its path printed');
  assert.match(printed, /\| adaptconf \| student \|/);
  assert.match(printed, /\| Ankle boot \|/, 'the Markdown names the classes');
  const run = await open(runFile, SCREENSHOT);
  await copyFile(runFile, SCREENSHOT.replace(/\.png$/, '') + '.html');
  assert.deepEqual(run.errors, []);
  assert.deepEqual(run.plots.map((p) => p.id), ['accuracy', 'training-curves', 'alpha', 'teacher-split', 'per-class', 'confusion', 'timeline']);
  for (const plot of run.plots) assert.ok(plot.marks > 0, `plot ${plot.id} draws no marks`);
  for (const name of FASHION_CLASSES) assert.ok(run.text.includes(name), `the page names class ${name}`);
  assert.match(run.text, /sha256 of its canonical JSON: [0-9a-f]{64}/);

  const sweepFile = join(dir, 'sweep.html');
  const sweepPrinted = await w2s('report', 'report-sweep', '--storage', STORAGE, '--out', sweepFile);
  assert.match(sweepPrinted, /# w2s sweep report-sweep/);
  assert.match(sweepPrinted, /\| base \| adaptconf \| student \| 2 \| \d+\.\d\d ± \d+\.\d\d% \|/, 'two seeds per model, mean and spread');
  const sweep = await open(sweepFile);
  assert.deepEqual(sweep.errors, []);
  assert.deepEqual(sweep.plots.map((p) => p.id), ['sweep-accuracy']);
  assert.ok(sweep.plots[0]!.marks > 0);
});
