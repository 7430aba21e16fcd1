// The browser half of the bench: Petri's training speed in headless Chromium on WebGPU (the
// software adapter here) and on the CPU, driven through the page as a user would; the TF.js
// reference CNN from ../shared/anchors/tfjs-cnn in the same Chromium; download sizes and
// start-up times. Prints JSON lines that scripts/bench turns into a table.
//
//   node bench/browser.mjs [--cpu-seconds 12] [--gpu-seconds 40] [--anchor DIR]
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
const cpuSeconds = +option('cpu-seconds', 12);
const gpuSeconds = +option('gpu-seconds', 40);
const anchorDir = option('anchor', null);
const batch = 128;

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

/** Trains the default CNN at batch 128 on `compute` and measures samples/s over `seconds`. */
async function petriSpeed(browser, url, compute, seconds) {
  const page = await browser.newPage();
  await page.goto(url);
  await page.getByText('Engine ready').waitFor({ timeout: 120_000 });
  await chooseCompute(page, compute);
  await setNumber(page, 'Batch size', batch);
  await page.getByRole('button', { name: 'Train' }).click();
  const steps = async () => parseInt(await value(page, 'Steps'), 10);
  await until('warm-up steps', async () => (await steps()) >= 3, { timeout: 300_000 });
  const s0 = await steps();
  const t0 = Date.now();
  await page.waitForTimeout(seconds * 1000);
  const s1 = await steps();
  const t1 = Date.now();
  const loss = await value(page, 'Training loss');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.close();
  return { samples_per_s: ((s1 - s0) * batch) / ((t1 - t0) / 1000), steps: s1 - s0, loss };
}

/** Runs the TF.js anchor page from `dir` (with its node_modules) in the same browser. */
async function tfjs(browser, dir) {
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
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html?be=cpu,webgl,webgpu&steps=40&b=${batch}`,
      { waitUntil: 'commit' });
    await page.waitForFunction(() => document.getElementById('o').textContent.startsWith('DONE'), null, { timeout: 600_000 });
    const text = (await page.textContent('#o')).slice(5);
    await page.close();
    return text.split('\n').map((line) => { try { return JSON.parse(line); } catch { return { backend: line }; } });
  } finally {
    server.close();
  }
}

const server = await serve();
const browser = await launch();
try {
  const start = await startup(browser, server.url);
  emit({ kind: 'startup', shell_ms: start.shell, ready_ms: start.ready, gzip_bytes: start.bytes, files: start.files });
  const gpuEngine = ['engine-gpu_bg.wasm', 'engine-gpu.js', 'engine-gpu_loader.js'].reduce((s, f) => s + gzipSize(f), 0);
  emit({ kind: 'download', gpu_engine_gzip_bytes: gpuEngine });
  emit({ kind: 'petri', backend: 'cpu', ...(await petriSpeed(browser, server.url, 'CPU', cpuSeconds)) });
  emit({ kind: 'petri', backend: 'webgpu', ...(await petriSpeed(browser, server.url, 'WebGPU', gpuSeconds)) });
  if (anchorDir) {
    for (const r of await tfjs(browser, anchorDir)) emit({ kind: 'tfjs', ...r });
  }
} finally {
  await browser.close();
  await server.close();
}
