// Browser tests of the Labeling tab: hide labels, label from the queue with the keyboard,
// accept pseudo-labels, keep labels across a reload, export and import labels, export
// predictions, the test set, the label-budget experiment; an upload's unlabeled images; a
// node dataset labeled by clicking nodes; an upload chosen before the engine is ready; tabs
// and their accessibility.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openApp, value, percent, until, chooseCompute, setNumber, accessibilityProblems } from './harness.mjs';
import { digitsZip } from './digits.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = (name) => path.join(root, 'assets/examples', name);

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const panel = (page) => page.getByRole('region', { name: 'Labeling panel' });

async function text(locator) {
  return (await locator.textContent()).trim();
}

/** The "N unlabeled · M labeled by you · ..." line as numbers. */
async function pool(page) {
  const line = await text(panel(page).getByLabel('Pool', { exact: true }));
  const number = (re) => parseInt((line.match(re) ?? [0, '0'])[1], 10);
  return { unlabeled: number(/(\d+) unlabeled/), human: number(/(\d+) labeled by you/), pseudo: number(/(\d+) pseudo-labels/) };
}

async function askedId(page) {
  const asked = panel(page).getByLabel('Asked sample');
  await asked.waitFor();
  return asked.getAttribute('data-id');
}

/** Waits for a download started by `click` and returns its text. */
async function download(page, click) {
  const [file] = await Promise.all([page.waitForEvent('download'), click()]);
  const target = path.join(os.tmpdir(), `petri-${Date.now()}-${file.suggestedFilename()}`);
  await file.saveAs(target);
  return { name: file.suggestedFilename(), text: fs.readFileSync(target, 'utf8') };
}

async function openLabeling(page) {
  await page.getByRole('tab', { name: 'Labeling' }).click();
  assert.equal(await page.getByRole('tab', { name: 'Labeling' }).getAttribute('aria-selected'), 'true');
}

test('label a few from the queue, accept proposals, keep and move labels, and take predictions out', async () => {
  const page = await openApp(browser, `${server.url}#labeling`);
  try {
    assert.equal(await page.getByRole('tab', { name: 'Labeling' }).getAttribute('aria-selected'), 'true',
      'the fragment opens the tab');
    await chooseCompute(page, 'CPU');
    await page.getByLabel('Labels per class', { exact: true }).selectOption('2');
    await until('the parts to show the pool', async () =>
      /8 training and 600 validation samples, 600 held out for testing, 2392 unlabeled \(labels hidden\)/
        .test(await text(page.getByLabel('Parts'))));
    let asked = await askedId(page);
    assert.deepEqual(await pool(page), { unlabeled: 2392, human: 0, pseudo: 0 });
    assert.match(await text(panel(page).getByLabel('True accuracy on the pool')), /model at step 0/);

    // Ten labels with the keyboard (the key is the class; the test does not know the truth).
    await panel(page).getByRole('heading', { name: 'Labeling' }).click();
    for (let i = 0; i < 10; i += 1) {
      await page.keyboard.press(String(1 + (i % 4)));
      await until(`label ${i + 1} to count`, async () => (await pool(page)).human === i + 1);
    }
    // Skip moves on; Backspace takes the last label back.
    const before = await askedId(page);
    await page.keyboard.press('s');
    await until('another sample after skipping', async () => (await askedId(page)) !== before);
    await page.keyboard.press('Backspace');
    await until('the undone label', async () => (await pool(page)).human === 9);
    await page.keyboard.press('2');
    await until('ten labels again', async () => (await pool(page)).human === 10);
    // The model trains on them and scores the pool again: the pool shrank, the accuracy moved on.
    await until('the pool scored again', async () => {
      const facts = await pool(page);
      const accuracy = await text(panel(page).getByLabel('True accuracy on the pool'));
      return facts.unlabeled === 2382 && !/model at step 0\./.test(accuracy);
    }, { timeout: 120_000 });
    asked = await askedId(page);
    assert.ok(asked);

    // Pseudo-labels: lower the threshold, accept them all.
    const threshold = panel(page).getByLabel('Confidence threshold', { exact: true });
    await threshold.fill('0.5');
    await threshold.dispatchEvent('change');
    const accept = panel(page).getByRole('button', { name: /^Accept all \d+$/ });
    await accept.waitFor({ timeout: 60_000 });
    const proposed = parseInt((await text(accept)).match(/\d+/)[0], 10);
    assert.ok(proposed > 0);
    await accept.click();
    await until('the accepted pseudo-labels', async () => (await pool(page)).pseudo === proposed);

    // The sample asked about can be explained; every sample's embedding shows who labeled it.
    await panel(page).getByRole('button', { name: 'Why? Explain this sample' }).click();
    assert.equal(await page.getByRole('tab', { name: 'Explain' }).getAttribute('aria-selected'), 'true');
    const explain = page.getByRole('region', { name: 'Explain panel' });
    await explain.getByRole('img', { name: /^Attribution of pool sample \d+ \(no label yet, predicted / })
      .waitFor({ timeout: 30_000 });
    await explain.getByLabel('Every sample (training, test and unlabeled too)').check();
    await explain.getByLabel('Colour by', { exact: true }).selectOption({ label: 'Label source' });
    await explain.getByRole('button', { name: 'Project with PCA' }).click();
    await explain.getByRole('img', { name: /^Embeddings of 600 samples by PCA, coloured by label source/ }).waitFor();
    const sources = await text(explain.getByRole('list', { name: 'Label sources' }));
    assert.match(sources, /From the data \(\d+\)/);
    assert.match(sources, /Labeled by a person \(10\)/);
    assert.match(sources, /Accepted proposal \(\d+\)/);
    assert.match(sources, /Unlabeled \(\d+\)/);
    await page.getByRole('tab', { name: 'Labeling' }).click();

    // A reload keeps every label (the same data comes back with the same setting).
    await page.reload();
    await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await chooseCompute(page, 'CPU');
    await page.getByLabel('Labels per class', { exact: true }).selectOption('2');
    await askedId(page);
    await until('the labels back', async () => {
      const facts = await pool(page);
      return facts.human === 10 && facts.pseudo === proposed;
    });

    // Export the labels; a file naming unknown samples is refused by line, a good one adds.
    const labels = await download(page, () => panel(page).getByRole('button', { name: 'Export labels' }).click());
    assert.equal(labels.name, 'shapes-in-noise-images-labels.csv');
    const rows = labels.text.trim().split(/\r?\n/);
    assert.equal(rows[0], 'id,label,source');
    assert.equal(rows.filter((r) => r.endsWith(',human')).length, 10);
    assert.equal(rows.filter((r) => r.endsWith(',pseudo')).length, proposed);
    const predictions = await download(page, () => panel(page).getByRole('button', { name: 'Export predictions' }).click());
    const lines = predictions.text.trim().split(/\r?\n/);
    assert.equal(lines[0], 'id,split,label,label_source,predicted,confidence,p_circle,p_square,p_triangle,p_cross');
    assert.equal(lines.length, 1 + 3600, 'a row per sample');
    assert.ok(lines.every((l) => l.split(',').length === 10));
    assert.equal(lines.filter((l) => l.includes(',train,') && l.includes(',human,')).length, 10);
    const unlabeled = lines.filter((l) => l.split(',')[1] === 'unlabeled').map((l) => l.split(',')[0]);
    assert.equal(unlabeled.length, 2382 - proposed);

    const input = panel(page).getByLabel('Import labels', { exact: true });
    await input.setInputFiles({ name: 'mine.csv', mimeType: 'text/csv',
      buffer: Buffer.from(`id,label\n${unlabeled[0]},circle\nnot-a-sample,square\n${unlabeled[1]},dog\n`) });
    await until('the refusal', async () => /mine\.csv, line 3.*mine\.csv, line 4.*unchanged/
      .test(await text(page.getByRole('alert'))));
    assert.equal((await pool(page)).human, 10, 'nothing changed');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await input.setInputFiles({ name: 'mine.csv', mimeType: 'text/csv',
      buffer: Buffer.from(`id,label,source\n${unlabeled[0]},circle,human\n${unlabeled[1]},cross,human\n`) });
    await until('two more labels', async () => (await pool(page)).human === 12);

    // The held-out test set.
    await panel(page).getByRole('button', { name: 'Evaluate on the test set' }).click();
    await until('the test accuracy', async () =>
      /^Test accuracy: \d+\.\d% on 600 held-out samples/.test(await text(panel(page).getByLabel('Test accuracy'))));

    // The label-budget experiment, small.
    await setNumber(page, 'Labels per round', 4);
    await setNumber(page, 'Rounds', 2);
    await setNumber(page, 'Steps per round', 10);
    await panel(page).getByRole('button', { name: 'Run label-budget experiment' }).click();
    await until('the budget result', async () =>
      /^To reach \d+% validation accuracy: random, labeled only (needed|did not reach)/
        .test(await text(panel(page).getByLabel('Label-budget result'))), { timeout: 180_000 });
    const legend = await panel(page).locator('.budget figcaption .key').allTextContents();
    assert.deepEqual(legend, ['random, labeled only', 'random, consistency', 'entropy, labeled only', 'entropy, consistency']);

    assert.deepEqual(await accessibilityProblems(page), []);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test('tabs: keyboard and fragment, panels keep their state; both tabs pass axe after use', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    const augmentationTab = page.getByRole('tab', { name: 'Augmentation' });
    assert.equal(await augmentationTab.getAttribute('aria-selected'), 'true');
    await page.getByLabel('Rotation', { exact: true }).check();
    await openLabeling(page);
    assert.match(page.url(), /#v=1&.*a=rotate:.*&t=labeling$/, 'the link holds the augmentation and the tab');
    assert.ok(await page.getByRole('tabpanel', { name: 'Labeling' }).isVisible());
    assert.ok(!(await page.getByLabel('Rotation', { exact: true }).isVisible()));
    // A fully labeled dataset says how to get a pool.
    await page.getByLabel('No unlabeled samples').waitFor({ timeout: 30_000 });
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.getByRole('tab', { name: 'Labeling' }).press('ArrowLeft');
    assert.equal(await augmentationTab.getAttribute('aria-selected'), 'true');
    assert.doesNotMatch(page.url(), /t=/, 'the first tab is the default, left out');
    assert.ok(await page.getByLabel('Rotation', { exact: true }).isChecked(), 'the augmentation is kept');
    await until('the preview', async () => (await page.getByLabel('Augmentation preview').count()) === 1);
    assert.deepEqual(await accessibilityProblems(page), []);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test('an upload chosen while the engine loads is read; its unlabeled images are labeled and predicted', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  try {
    let releaseEngine;
    const held = new Promise((resolve) => { releaseEngine = resolve; });
    await page.route('**/engine-cpu*_bg.wasm', async (route) => { await held; await route.continue(); });
    await page.goto(`${server.url}#labeling`);
    await page.getByText('Loading the ML engine').waitFor();
    await page.getByLabel('Upload dataset', { exact: true }).setInputFiles(example('images.zip'));
    await page.getByRole('status').filter({ hasText: 'Reading' }).waitFor();
    releaseEngine();
    const inspector = page.getByRole('region', { name: 'Dataset inspector' });
    await inspector.getByRole('heading', { name: 'Uploaded: images' }).waitFor({ timeout: 60_000 });
    await chooseCompute(page, 'CPU');
    await until('the pool of the upload', async () => (await pool(page)).unlabeled === 5);
    const id = await askedId(page);
    assert.match(id, /unlabeled\//);
    await panel(page).getByRole('group', { name: 'Label as' }).getByRole('button', { name: /^square/ }).click();
    await until('one labeled', async () => (await pool(page)).human === 1);
    const predictions = await download(page, () => panel(page).getByRole('button', { name: 'Export predictions' }).click());
    const lines = predictions.text.trim().split(/\r?\n/);
    assert.equal(lines[0], 'id,split,label,label_source,predicted,confidence,p_circle,p_square,p_stripes');
    assert.equal(lines.length, 1 + 95);
    const labeled = lines.find((l) => l.startsWith(`${id},`));
    assert.match(labeled, /,train,square,human,/);
    assert.equal(lines.filter((l) => l.split(',')[1] === 'unlabeled').length, 4);
    assert.equal(lines.filter((l) => l.split(',')[1] === 'test').length > 0, true);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test('a node dataset is labeled by clicking nodes', async () => {
  const page = await openApp(browser, `${server.url}#labeling`);
  try {
    await chooseCompute(page, 'CPU');
    await page.getByLabel('Dataset', { exact: true }).selectOption('karate-club');
    await page.getByLabel('Labels per class', { exact: true }).selectOption('2');
    await until('the pool of nodes', async () => (await pool(page)).unlabeled === 14);
    const graph = panel(page).getByRole('group', { name: 'Graph: pick an unlabeled node to label' });
    const node = graph.getByRole('button', { name: /^node \d+, unlabeled$/ }).last();
    const name = await node.getAttribute('aria-label');
    const id = name.match(/^node (\d+)/)[1];
    await node.click();
    await until('the picked node asked about', async () => (await askedId(page)) === id);
    await panel(page).getByRole('group', { name: 'Label as' }).getByRole('button').first().click();
    await until('the node labeled', async () =>
      (await graph.getByRole('button', { name: new RegExp(`^node ${id}, labeled .* by you$`) }).count()) === 1);
    assert.equal((await pool(page)).human, 1);
    assert.deepEqual(await accessibilityProblems(page), []);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

/** The rows of an Export labels file that a person gave. */
async function humanRows(page) {
  const labels = await download(page, () => panel(page).getByRole('button', { name: 'Export labels' }).click());
  return labels.text.trim().split(/\r?\n/).filter((r) => r.endsWith(',human'));
}

/** Uploads the digits (100 labeled, 1,697 in unlabeled/) on the CPU; the dataset inspector. */
async function uploadDigits(page) {
  await chooseCompute(page, 'CPU');
  await page.getByLabel('Upload dataset', { exact: true })
    .setInputFiles({ name: 'digits.zip', mimeType: 'application/zip', buffer: digitsZip() });
  const inspector = page.getByRole('region', { name: 'Dataset inspector' });
  await inspector.getByRole('heading', { name: 'Uploaded: digits' }).waitFor({ timeout: 120_000 });
  return inspector;
}

test('labels on an upload survive a reload and an engine crash; an export pressed while the pool is scored arrives', async () => {
  const page = await openApp(browser, server.url, { debug: true });
  try {
    const inspector = await uploadDigits(page);
    await inspector.getByLabel('Storage').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await until('some training', async () => parseInt(await value(page, 'Steps'), 10) >= 20, { timeout: 60_000 });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await openLabeling(page);
    await until('the pool of the upload', async () => (await pool(page)).unlabeled === 1697, { timeout: 60_000 });

    // Five labels: three with the keys, two with the class buttons.
    await panel(page).getByRole('heading', { name: 'Labeling' }).click();
    for (let i = 0; i < 3; i += 1) {
      await page.keyboard.press(String(1 + i));
      await until(`label ${i + 1}`, async () => (await pool(page)).human === i + 1);
    }
    for (let i = 3; i < 5; i += 1) {
      await panel(page).getByRole('group', { name: 'Label as' }).getByRole('button').nth(i).click();
      await until(`label ${i + 1}`, async () => (await pool(page)).human === i + 1);
    }
    const given = (await humanRows(page)).sort();
    assert.equal(given.length, 5);

    // A reload brings the upload back, and its five labels with it.
    await page.reload();
    await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await inspector.getByRole('heading', { name: 'Uploaded: digits' }).waitFor({ timeout: 120_000 });
    await until('the five labels back', async () => (await humanRows(page)).length === 5, { timeout: 30_000, every: 2000 });
    assert.deepEqual((await humanRows(page)).sort(), given);

    // The engine crashes: the replacement gets the upload and the labels again.
    assert.deepEqual(page.problems, []);
    await page.evaluate(() => window.petriDebug.crashEngine());
    await until('the crash said', async () => /crashed/.test(await page.getByRole('alert').textContent()));
    await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await until('the labels after the crash', async () => (await humanRows(page)).length === 5, { timeout: 60_000, every: 2000 });
    assert.deepEqual((await humanRows(page)).sort(), given);

    // Train a little, open the Labeling tab and export at once, while the pool is scored.
    await page.getByRole('tab', { name: 'Augmentation' }).click();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await until('training again', async () => parseInt(await value(page, 'Steps'), 10) >= 10, { timeout: 60_000 });
    await page.getByRole('tab', { name: 'Labeling' }).click();
    const predictions = await download(page, () => panel(page).getByRole('button', { name: 'Export predictions' }).click());
    const lines = predictions.text.trim().split(/\r?\n/);
    assert.equal(lines.length, 1 + 1797, 'a row per sample');
    assert.equal(lines.filter((l) => l.includes(',train,') && l.includes(',human,')).length, 5);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    assert.deepEqual(await accessibilityProblems(page), []);
  } finally {
    await page.close();
  }
});

test('pretrain on an upload with an unlabeled/ folder, then train; start from an experiment file; masked prediction on DNA', async () => {
  const page = await openApp(browser, server.url, { debug: true });
  try {
    await uploadDigits(page);
    await openLabeling(page);
    const starting = panel(page).getByLabel('Starting point');
    assert.equal(await text(starting), 'Runs start from freshly initialised weights.');

    // Pretrain on every sample (100 labeled, 1,697 in unlabeled/) without labels.
    await setNumber(page, 'Pretraining steps', '120');
    await panel(page).getByRole('button', { name: 'Pretrain', exact: true }).click();
    const result = panel(page).getByLabel('Pretraining result');
    await until('pretraining done', async () => /^Pretrained on \d+ samples for 120 steps; final loss \d+\.\d{3}\.$/
      .test(await text(result)), { timeout: 240_000 });
    // Every training and unlabeled sample; the held-out parts stay out.
    const samples = parseInt((await text(result)).match(/on (\d+) samples/)[1], 10);
    assert.ok(samples > 1697 && samples < 1797, `${samples} samples`);
    assert.equal(await panel(page).getByRole('img', { name: /Contrastive loss/ }).count(), 1);
    assert.match(await text(starting),
      new RegExp(`^Runs start from the encoder pretrained without labels on ${samples} samples for 120 steps: \\d+ tensors taken; the head starts new\\.$`));

    // Training starts from the pretrained encoder.
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await until('training from the pretrained encoder', async () => parseInt(await value(page, 'Steps'), 10) >= 60, { timeout: 120_000 });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await until('validation accuracy after pretraining', async () => (await percent(page, 'Validation accuracy')) > 0.5, { timeout: 60_000 });
    assert.deepEqual(await accessibilityProblems(page, '[aria-label="Labeling panel"]'), []);

    // Its experiment file, saved, then chosen as the start of a fresh run.
    const [saved] = await Promise.all([page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export experiment' }).click()]);
    const experimentFile = path.join(os.tmpdir(), `petri-${Date.now()}-${saved.suggestedFilename()}`);
    await saved.saveAs(experimentFile);
    await panel(page).getByRole('button', { name: 'Start from fresh weights' }).click();
    await until('fresh weights', async () => (await text(starting)) === 'Runs start from freshly initialised weights.');

    // A file that is no model is refused by name, and nothing changes.
    await panel(page).locator('#start-from-file').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
    await until('the refusal', async () => /notes\.safetensors.*Nothing was changed\./.test(await text(page.getByRole('alert'))));
    assert.equal(await text(starting), 'Runs start from freshly initialised weights.');

    await panel(page).locator('#start-from-file').setInputFiles(experimentFile);
    const name = path.basename(experimentFile).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await until('the start from the file', async () => new RegExp(`^Runs start from the encoder of ${name}: \\d+ tensors taken; the head starts new\\.$`)
      .test(await text(starting)), { timeout: 60_000 });

    // Sequences can learn by filling in hidden positions instead (the task select is theirs).
    assert.equal(await panel(page).getByLabel('Pretraining task').count(), 0, 'images pretrain by contrast');
    await page.getByLabel('Dataset', { exact: true }).selectOption({ label: 'DNA motif (sequences)' });
    await panel(page).getByLabel('Pretraining task').selectOption({ label: 'Masked prediction: fill in hidden positions' });
    assert.equal(await panel(page).getByLabel('Temperature').count(), 0);
    await setNumber(page, 'Share of positions hidden', '0.2');
    await setNumber(page, 'Pretraining steps', '10');
    await panel(page).getByRole('button', { name: 'Pretrain', exact: true }).click();
    await until('masked pretraining done', async () => /^Pretrained on \d+ samples for 10 steps/.test(await text(result)),
      { timeout: 120_000 });
    assert.equal(await panel(page).getByRole('img', { name: /Masked-prediction loss/ }).count(), 1);
    assert.match(await text(starting), /^Runs start from the encoder pretrained without labels by masked prediction on \d+ samples for 10 steps: \d+ tensors taken/);
    assert.deepEqual(await accessibilityProblems(page, '[aria-label="Labeling panel"]'), []);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});
