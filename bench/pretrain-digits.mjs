// Issue 24's measure: on the digits upload of the browser tests (100 labeled images, 1,697 in
// unlabeled/), accuracy on the unlabeled pool after training on the labels from scratch, after
// pretraining then fine-tuning, and after pretraining then a linear probe, in the page (CPU
// engine). The truth of unlabeled image i is digit i % 10 (tests/e2e/digits.mjs).
//
//   STEPS=300 PRE=400 MODES=scratch,pretrained,probe node bench/pretrain-digits.mjs
//   BLOCKS=16k3p_32k3p_64k3p ...: the CNN's conv blocks (channels, kernel, p: pooled), set in the
//   Model panel after the upload (default: the upload's default CNN).
//   STYLE=handwritten: the harder 28×28 digits of tests/e2e/digits.mjs (default: segments).
//   SEED=2: another drawing of the digits and another training seed (default 1).
//   TEMPERATURE=0.2: NT-Xent's temperature (default: the page's, 0.5).
//   AUG=strong: the Strong augmentation preset without its horizontal flip (a mirrored 2 is a 5),
//   for training and as pretraining's views (default: none, so pretraining takes Strong whole).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openApp, value, until, chooseCompute, setNumber } from '../tests/e2e/harness.mjs';
import { digitsZip } from '../tests/e2e/digits.mjs';

const STEPS = parseInt(process.env.STEPS ?? '300', 10);
const PRE = parseInt(process.env.PRE ?? '400', 10);
const SEED = parseInt(process.env.SEED ?? '1', 10);
const BLOCKS = process.env.BLOCKS ? process.env.BLOCKS.split('_').map((b) => b.match(/^(\d+)k(\d+)(p?)$/)) : null;
const server = await serve();
const browser = await launch({ webgpu: false });
const panel = (page) => page.getByRole('region', { name: 'Labeling panel' });
for (const mode of (process.env.MODES ?? 'scratch,pretrained,probe').split(',')) {
  const page = await openApp(browser, server.url);
  await chooseCompute(page, 'CPU');
  await page.getByLabel('Upload dataset', { exact: true }).setInputFiles({ name: 'digits.zip', mimeType: 'application/zip', buffer: digitsZip({ style: process.env.STYLE ?? 'segments', seed: SEED }) });
  await page.getByRole('region', { name: 'Dataset inspector' }).getByRole('heading', { name: 'Uploaded: digits' }).waitFor({ timeout: 120_000 });
  if (BLOCKS) {
    for (const [i, [, channels, kernel, pool]] of BLOCKS.entries()) {
      const n = i + 1;
      if (!(await page.locator(`#block-${n}-channels`).count())) await page.getByRole('button', { name: 'Add block' }).click();
      for (const [what, v] of [['channels', channels], ['kernel', kernel]]) {
        await page.locator(`#block-${n}-${what}`).fill(v);
        await page.locator(`#block-${n}-${what}`).press('Tab');
      }
      await page.locator(`#block-${n}-pool`).setChecked(pool === 'p');
    }
  }
  if (process.env.AUG === 'strong') {
    await page.getByRole('tab', { name: 'Augmentation' }).click();
    await page.locator('#augment-preset').selectOption('strong');
    await page.locator('#augment-flip-horizontal').setChecked(false);
  }
  if (SEED !== 1) await setNumber(page, 'Seed', String(SEED));
  await page.getByRole('tab', { name: 'Labeling' }).click();
  const t0 = Date.now();
  if (mode !== 'scratch') {
    await setNumber(page, 'Pretraining steps', String(PRE));
    if (process.env.TEMPERATURE) await setNumber(page, 'Temperature', process.env.TEMPERATURE);
    await panel(page).getByRole('button', { name: 'Pretrain', exact: true }).click();
    await until('pretrained', async () => /^Pretrained/.test((await panel(page).getByLabel('Pretraining result').textContent()).trim()), { timeout: 1_200_000, every: 1000 });
    if (mode === 'probe') await panel(page).getByLabel('Train the head only (linear probe)').check();
  }
  const t1 = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await until('trained', async () => parseInt(await value(page, 'Steps'), 10) >= STEPS, { timeout: 1_200_000, every: 500 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await new Promise((r) => setTimeout(r, 2000));
  const [file] = await Promise.all([page.waitForEvent('download'), panel(page).getByRole('button', { name: 'Export predictions' }).click()]);
  const target = path.join(os.tmpdir(), `measure-${mode}.csv`);
  await file.saveAs(target);
  const lines = fs.readFileSync(target, 'utf8').trim().split(/\r?\n/);
  const head = lines[0].split(',');
  const [id, split, predicted] = ['id', 'split', 'predicted'].map((c) => head.indexOf(c));
  let right = 0; let all = 0;
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    if (cells[split] !== 'unlabeled') continue;
    const i = parseInt(cells[id].match(/(\d+)\.png/)[1], 10);
    all += 1;
    if (cells[predicted] === String(i % 10)) right += 1;
  }
  const steps = await value(page, 'Steps');
  console.log(`${mode}: ${(100 * right / all).toFixed(1)}% of ${all} unlabeled right after ${steps} steps; validation ${await value(page, 'Validation accuracy')}; pretraining ${((t1 - t0) / 1000).toFixed(0)} s, training ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  await page.close();
}
await browser.close();
await server.close();
