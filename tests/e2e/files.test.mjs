// Browser tests of taking work out and back in: Export experiment, Reset, Open experiment gives
// the same predictions (CPU, and WebGPU with weights read back asynchronously); Export model
// downloads safetensors with PyTorch's names and shapes; a broken file changes nothing; and the
// native command line, on the page's experiment with one thread, repeats the page's first 100
// training losses; an experiment with its upload opens in another browser, whose upload it
// then is.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { serve, launch, openApp, value, until, chooseCompute, setNumber, accessibilityProblems } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'petri-files-'));

/** Waits for the download `click` starts; resolves to its saved path and name. */
async function download(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const target = path.join(folder, file.suggestedFilename());
  await file.saveAs(target);
  return { name: file.suggestedFilename(), path: target };
}

async function steps(page) {
  return parseInt(await value(page, 'Steps'), 10);
}

/** Presses Step until `n` steps are shown (each press is one step, evaluated). */
async function stepTo(page, n) {
  for (let i = await steps(page); i < n; i++) {
    await page.getByRole('button', { name: 'Step' }).click();
    await until(`step ${i + 1}`, async () => (await steps(page)) === i + 1);
  }
  await page.getByText(`Validation predictions at step ${n}`).waitFor();
}

/** What the page shows of the model's predictions. */
async function predictions(page) {
  return {
    loss: await value(page, 'Validation loss'),
    accuracy: await value(page, 'Validation accuracy'),
    gallery: (await page.getByLabel('Validation predictions', { exact: true }).textContent()).trim(),
  };
}

/** The header of a safetensors file: tensor names → shapes, and Petri's description. */
function safetensorsHeader(file) {
  const bytes = fs.readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  const shapes = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') shapes[name] = entry.shape;
  }
  return { shapes, description: JSON.parse(header.__metadata__.petri) };
}

/** An entry of a `.petri` file (a zip of stored entries, as Petri writes them). */
function storedEntry(file, name) {
  const bytes = fs.readFileSync(file);
  for (let at = 0; bytes.readUInt32LE(at) === 0x04034b50;) {
    const size = bytes.readUInt32LE(at + 18);
    const nameLength = bytes.readUInt16LE(at + 26);
    const start = at + 30 + nameLength + bytes.readUInt16LE(at + 28);
    if (bytes.subarray(at + 30, at + 30 + nameLength).toString('utf8') === name) {
      return bytes.subarray(start, start + size);
    }
    at = start + size;
  }
  throw new Error(`${file} has no ${name}`);
}

async function open(page, file) {
  await page.locator('#open-experiment').setInputFiles(file);
}

test('CPU: export, reset, open: the same predictions; the model file has PyTorch names; the command line repeats the losses', async () => {
  const browser = await launch({ webgpu: false });
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await setNumber(page, 'Seed', 5);
    await stepTo(page, 100);
    const trained = await predictions(page);

    const model = await download(page, () => page.getByRole('button', { name: 'Export model' }).click());
    assert.match(model.name, /\.safetensors$/);
    const { shapes, description } = safetensorsHeader(model.path);
    // The default CNN on 28×28 shapes: 8 and 16 channels of 3×3, pooled twice, 4 classes.
    assert.deepEqual(shapes['convs.0.weight'], [8, 1, 3, 3]);
    assert.deepEqual(shapes['convs.1.weight'], [16, 8, 3, 3]);
    assert.deepEqual(shapes['head.weight'], [4, 16 * 5 * 5], 'linear weights as PyTorch lays them out');
    assert.deepEqual(shapes['head.bias'], [4]);
    assert.equal(description.step, 100);
    assert.equal(description.classes.length, 4);
    assert.equal(description.standardize.length, 1, 'the pixel statistics the model expects');

    const experiment = await download(page, () => page.getByRole('button', { name: 'Export experiment' }).click());
    assert.match(experiment.name, /\.petri$/);

    await page.getByRole('button', { name: 'Reset' }).click();
    await until('the reset', async () => (await steps(page)) === 0);
    await open(page, experiment.path);
    await until('the opened step', async () => (await steps(page)) === 100);
    await page.getByText('Validation predictions at step 100').waitFor();
    await until('the same predictions', async () =>
      JSON.stringify(await predictions(page)) === JSON.stringify(trained));
    assert.match(await page.locator('.notice').textContent(), /Opened .*\.petri/);
    assert.deepEqual(await accessibilityProblems(page, '.panel.training'), [], 'the Training panel with its file controls');
    // The curves came back with it.
    assert.ok(await page.locator('.charts svg polyline, .charts svg path').count() > 0);

    // A cut-short file is refused by name, and the run stays as it was.
    const cut = path.join(folder, 'cut.petri');
    const bytes = fs.readFileSync(experiment.path);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 200));
    await open(page, cut);
    await until('the refusal', async () =>
      /cut\.petri .*Nothing was changed/.test(await page.getByRole('alert').textContent()));
    assert.equal(await steps(page), 100);
    assert.deepEqual(await predictions(page), trained);
    await page.getByRole('button', { name: 'Step' }).click();
    await until('training goes on', async () => (await steps(page)) === 101);

    // The same experiment natively, one thread, from step 0: the page's 100 losses again.
    const petri = path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/petri-target'), 'debug/petri');
    execFileSync('cargo', ['build', '--quiet', '--bin', 'petri'], { stdio: 'inherit' });
    const log = path.join(folder, 'native.jsonl');
    execFileSync(petri, ['train', experiment.path, '--restart', '--steps', '100', '--threads', '1',
      '--backend', 'cpu', '--log-every', '1', '--log', log, '--out', path.join(folder, 'native.petri')]);
    const native = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      .filter((l) => l.kind === 'train');
    const pageLosses = JSON.parse(storedEntry(experiment.path, 'petri.json')).history.train;
    assert.equal(pageLosses.length, 100, 'Step reports every step');
    assert.equal(native.length, 100);
    // The two differ only in rounding (native and wasm SIMD sum in different orders): 1e-7 at
    // first, which training amplifies step by step (1e-5 by step 40, 1e-3 by step 60 here, then
    // past any per-step bound). So the first 40 steps agree to rounding, and the last 20 on
    // average.
    for (let i = 0; i < 100; i++) {
      assert.equal(native[i].step, pageLosses[i].step);
    }
    for (let i = 0; i < 40; i++) {
      const relative = Math.abs(native[i].loss - pageLosses[i].loss) / Math.abs(pageLosses[i].loss);
      assert.ok(relative <= 1e-4, `step ${i + 1}: native ${native[i].loss} vs page ${pageLosses[i].loss}`);
    }
    const lastMean = (points) => points.slice(80).reduce((sum, p) => sum + p.loss, 0) / 20;
    const [nativeEnd, pageEnd] = [lastMean(native), lastMean(pageLosses)];
    assert.ok(Math.abs(nativeEnd - pageEnd) / pageEnd <= 0.05, `mean loss of steps 81–100: native ${nativeEnd} vs page ${pageEnd}`);
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test('WebGPU: the weights are read back asynchronously for both exports, and open to the same predictions', async () => {
  const browser = await launch({ webgpu: true });
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'WebGPU');
    await stepTo(page, 3);
    const trained = await predictions(page);
    const model = await download(page, () => page.getByRole('button', { name: 'Export model' }).click());
    assert.deepEqual(safetensorsHeader(model.path).shapes['convs.0.weight'], [8, 1, 3, 3]);
    const experiment = await download(page, () => page.getByRole('button', { name: 'Export experiment' }).click());
    await page.getByRole('button', { name: 'Reset' }).click();
    await until('the reset', async () => (await steps(page)) === 0);
    await open(page, experiment.path);
    await until('the opened step', async () => (await steps(page)) === 3);
    await page.getByText('Validation predictions at step 3').waitFor();
    await until('the same predictions', async () =>
      JSON.stringify(await predictions(page)) === JSON.stringify(trained));
    assert.match(await value(page, 'Compute status'), /Compute: WebGPU/);
    assert.deepEqual(page.problems, []);
  } finally {
    await browser.close();
  }
});

test('an experiment with its upload opens in a fresh browser, and the upload then survives a reload', async () => {
  const browser = await launch({ webgpu: false });
  const inspector = (page) => page.getByRole('region', { name: 'Dataset inspector' });
  const uploadedTable = (page) =>
    inspector(page).getByRole('heading', { name: 'Uploaded: table' }).waitFor({ timeout: 30_000 });
  try {
    const first = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await first.newPage();
    await page.goto(server.url);
    await chooseCompute(page, 'CPU');
    await page.getByLabel('Upload dataset', { exact: true })
      .setInputFiles(path.resolve('assets/examples/table.csv'));
    await uploadedTable(page);
    await stepTo(page, 5);
    const trained = await predictions(page);
    assert.ok(await page.getByLabel('with the uploaded data').isChecked());
    const experiment = await download(page, () => page.getByRole('button', { name: 'Export experiment' }).click());
    await first.close();

    const second = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const fresh = await second.newPage();
    await fresh.goto(server.url);
    await chooseCompute(fresh, 'CPU');
    await open(fresh, experiment.path);
    await uploadedTable(fresh);
    await until('the opened step', async () => (await steps(fresh)) === 5);
    await until('the same predictions', async () =>
      JSON.stringify(await predictions(fresh)) === JSON.stringify(trained));
    // The opened data is this browser's upload now: kept for the next visit.
    await inspector(fresh).getByLabel('Storage').waitFor();
    await fresh.reload();
    await fresh.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await uploadedTable(fresh);
    assert.match(await inspector(fresh).getByLabel('Sample count').textContent(), /^148 labeled table rows/);
    assert.equal(await fresh.locator('#dataset option:checked').textContent(), 'Uploaded: table');
    await fresh.getByRole('button', { name: 'Step' }).click();
    await until('it trains', async () => (await steps(fresh)) === 1);
    await second.close();
  } finally {
    await browser.close();
  }
});
