// The browser half of the bench: Petri's training speed in headless Chromium on WebGPU (the
// software adapter here) and on the CPU, driven through the page as a user would; the TF.js
// reference CNN from ../shared/anchors/tfjs-cnn in the same Chromium; download sizes and
// start-up times. Prints JSON lines that scripts/bench turns into a table.
//
//   node bench/browser.mjs [--cpu-seconds 12] [--gpu-seconds 40 (0: no WebGPU)] [--anchor DIR]
//                          [--only cnn1d,lstm]
//   node bench/browser.mjs --against DIR [--against-name REV] [--repeat 3] [--cpu-seconds 8]
//
// With --against, only the CPU engine: the page built in DIST and the one in DIR (an older
// commit's build, see scripts/bench) train every workload in turn, --repeat times each.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import http from 'node:http';
import { serve, launch, value, until, chooseCompute, setNumber, DIST } from '../tests/e2e/harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const cpuSeconds = +option('cpu-seconds', 8);
const gpuSeconds = +option('gpu-seconds', 25);
const anchorDir = option('anchor', null);
const againstDir = option('against', null);
const againstName = option('against-name', 'against');
const repeat = +option('repeat', 3);
const only = option('only', null)?.split(',');

/** The workloads, as in src/bin/bench.rs: dataset, model (default if absent), batch size. */
const WORKLOADS = [
  { name: 'cnn', dataset: 'Shapes in noise (images)', batch: 128 },
  { name: 'cnn1d', dataset: 'DNA motif (sequences)', batch: 32 },
  { name: 'lstm', dataset: 'DNA motif (sequences)', model: 'RNN (GRU / LSTM)', cell: 'LSTM', batch: 32 },
  { name: 'transformer', dataset: 'DNA motif (sequences)', model: 'Transformer (self-attention)', batch: 32 },
  { name: 'gru', dataset: 'Waveforms (time series)', batch: 32 },
  { name: 'gin', dataset: 'Molecule rings (graphs)', batch: 32 },
  { name: 'gcn-nodes', dataset: 'Communities (graph nodes)', batch: 32 },
];

const emit = (record) => console.log(JSON.stringify(record));

/** gzip -9 size of each file the page fetched. */
function gzipSize(file) {
  return zlib.gzipSync(fs.readFileSync(path.join(DIST, file)), { level: 9 }).length;
}

async function startup(browser, url) {
  const page = await browser.newPage();
  const fetched = new Set();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/petri/')) fetched.add(decodeURIComponent(u.pathname.slice(7)) || 'index.html');
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.getByLabel('Dataset', { exact: true }).waitFor();
  const shell = Date.now() - t0;
  await page.getByText('Engine ready').waitFor({ timeout: 120_000 });
  const ready = Date.now() - t0;
  await page.close();
  const files = [...fetched].filter((f) => fs.existsSync(path.join(DIST, f)) && fs.statSync(path.join(DIST, f)).isFile());
  const bytes = files.reduce((sum, f) => sum + gzipSize(f), 0);
  return { shell, ready, bytes, files };
}

/** Trains each workload on `compute` and measures samples/s over `seconds` after warm-up. */
async function petriSpeeds(browser, url, compute, seconds) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByText('Engine ready').waitFor({ timeout: 120_000 });
  await chooseCompute(page, compute);
  const steps = async () => parseInt(await value(page, 'Steps'), 10);
  const results = [];
  for (const w of WORKLOADS.filter((w) => !only || only.includes(w.name))) {
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: w.dataset });
    if (w.model) await page.getByLabel('Model', { exact: true }).selectOption({ label: w.model });
    if (w.cell) await page.getByLabel('Cell', { exact: true }).selectOption({ label: w.cell });
    await setNumber(page, 'Batch size', w.batch);
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('button', { name: 'Train' }).click();
    let record = { kind: 'petri', backend: compute.toLowerCase(), workload: w.name };
    try {
      await until(`warm-up steps of ${w.name}`, async () => (await steps()) >= 2, { timeout: 240_000 });
      const s0 = await steps();
      const t0 = Date.now();
      await page.waitForTimeout(seconds * 1000);
      const s1 = await steps();
      const t1 = Date.now();
      record = { ...record, samples_per_s: ((s1 - s0) * w.batch) / ((t1 - t0) / 1000), steps: s1 - s0 };
    } catch (e) {
      record = { ...record, error: String(e.message).slice(0, 120) };
    }
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Train' }).waitFor({ timeout: 300_000 });
    results.push(record);
  }
  await page.close();
  return results;
}

/** Runs a TF.js page (`page`) from `dir` (with its node_modules) in the same browser. */
async function tfjs(browser, dir, file, query, workload) {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end(); return; }
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.wasm') ? 'application/wasm' : 'text/html';
      res.writeHead(200, { 'content-type': type }).end(data);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const page = await browser.newPage();
    // The reference trains on the page's main thread, so "load" may come late: wait for the
    // navigation only, then for its result.
    await page.goto(`http://127.0.0.1:${server.address().port}/${file}?${query}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => document.getElementById('o').textContent.startsWith('DONE'), null, { timeout: 600_000 });
    const text = (await page.textContent('#o')).slice(5);
    await page.close();
    return text.split('\n').map((line) => {
      try { return { workload, ...JSON.parse(line) }; } catch { return { workload, backend: line }; }
    });
  } finally {
    server.close();
  }
}

const server = await serve();
const browser = await launch();
if (againstDir) {
  const againstServer = await serve({ dir: againstDir });
  try {
    for (let i = 0; i < repeat; i++) {
      for (const [build, url] of [[againstName, againstServer.url], ['today', server.url]]) {
        for (const r of await petriSpeeds(browser, url, 'CPU', cpuSeconds)) emit({ ...r, build, run: i });
      }
    }
  } finally {
    await browser.close();
    await againstServer.close();
    await server.close();
  }
  process.exit(0);
}
try {
  const start = await startup(browser, server.url);
  emit({ kind: 'startup', shell_ms: start.shell, ready_ms: start.ready, gzip_bytes: start.bytes, files: start.files });
  const gpuEngine = ['engine-gpu_bg.wasm', 'engine-gpu.js', 'engine-gpu_loader.js'].reduce((s, f) => s + gzipSize(f), 0);
  emit({ kind: 'download', gpu_engine_gzip_bytes: gpuEngine });
  for (const r of await petriSpeeds(browser, server.url, 'CPU', cpuSeconds)) emit(r);
  // --gpu-seconds 0 leaves WebGPU out (the software adapter takes minutes per Transformer step).
  if (gpuSeconds > 0) for (const r of await petriSpeeds(browser, server.url, 'WebGPU', gpuSeconds)) emit(r);
  if (anchorDir) {
    for (const r of await tfjs(browser, anchorDir, 'index.html', 'be=cpu,webgl,webgpu&steps=40&b=128', 'cnn')) emit({ kind: 'tfjs', ...r });
    if (fs.existsSync(path.join(anchorDir, 'tfjs-lstm.html'))) {
      for (const r of await tfjs(browser, anchorDir, 'tfjs-lstm.html', 'be=cpu,webgl,webgpu&steps=5&b=32', 'lstm')) emit({ kind: 'tfjs', ...r });
    }
  }
} finally {
  await browser.close();
  await server.close();
}
