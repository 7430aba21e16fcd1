// Shared helpers for the browser tests: a static server for dist/ under a sub-path, Chromium
// with or without software WebGPU, and small readers of what the page shows.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = process.env.PETRI_DIST ?? path.join(root, 'dist');
/** The page is served under a sub-path, as on a real site. */
export const BASE = '/petri/';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.png': 'image/png', '.csv': 'text/csv', '.txt': 'text/plain', '.webmanifest': 'application/manifest+json',
};

/** Serves `dir` (DIST) at http://127.0.0.1:<port>/petri/. Resolves to { url, close, bytesServed }.
 * With `isolated`, every response carries the headers of a cross-origin isolated page (the CPU
 * engine then runs on every core). */
export async function serve({ dir = DIST, isolated = false } = {}) {
  const headers = isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  let bytes = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith(BASE)) { res.writeHead(404).end(); return; }
    let file = path.join(dir, decodeURIComponent(url.pathname.slice(BASE.length)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404).end(); return; }
      bytes += data.length;
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${BASE}`,
    close: () => new Promise((resolve) => server.close(resolve)),
    bytesServed: () => bytes,
  };
}

const BASE_FLAGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-default-apps',
];
/** Software WebGPU (SwiftShader) in headless Chromium. */
const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader',
];

/** Launches Debian's Chromium, with software WebGPU unless `webgpu` is false. */
export async function launch({ webgpu = true } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: webgpu ? [...BASE_FLAGS, ...WEBGPU_FLAGS] : [...BASE_FLAGS, '--disable-gpu'],
  });
}

/** Opens the app; collects console errors and page errors in `page.problems`. */
export async function openApp(browser, url, { debug = false, serviceWorkers = 'allow' } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, serviceWorkers });
  page.problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  await page.goto(debug ? `${url}?debug` : url);
  await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
  return page;
}

/** The text of a live value by its accessible name ("Training loss", "Steps", ...). */
export async function value(page, name) {
  return (await page.getByLabel(name, { exact: true }).textContent()).trim();
}

/** A percentage live value as a fraction, or NaN while it shows a dash. */
export async function percent(page, name) {
  return parseFloat(await value(page, name)) / 100;
}

/** Waits until `check()` resolves truthy, polling; fails with `what` after `timeout` ms. */
export async function until(what, check, { timeout = 60_000, every = 250 } = {}) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeout) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
}

/** Chooses a backend in the Compute select and waits for the status to name it. */
export async function chooseCompute(page, label) {
  await page.getByLabel('Compute', { exact: true }).selectOption({ label });
  const name = label === 'Auto' ? /Compute: (CPU|WebGPU)/ : new RegExp(`Compute: ${label}`);
  await until(`status naming ${label}`, async () => name.test(await value(page, 'Compute status')), { timeout: 60_000 });
}

/** Sets a number field by its label and commits it (change event). */
export async function setNumber(page, label, text) {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(text));
  await input.press('Tab');
}

const AXE = path.join(root, 'node_modules/axe-core/axe.min.js');

/** Runs axe-core on the page (or one element): the serious and critical violations, each as
 * "rule: first target" text, so a failure says what to fix. */
export async function accessibilityProblems(page, selector) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    await page.addScriptTag({ path: AXE });
  }
  const violations = await page.evaluate(async (context) => {
    const result = await window.axe.run(context ?? document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, selector);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(' | ')}`);
}
