// Browser tests of the augmentation panel: toggling augmentations and moving sliders changes
// the preview (drawn by the engine exactly as training sees it), re-roll draws other versions,
// and a comparison trains two runs and states the gap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openApp, until, chooseCompute } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

/** The pixels of the first preview row's images, as data URLs (original first). */
async function firstRow(page) {
  const row = page.getByRole('list', { name: 'Sample 1: original, then augmented' });
  await row.getByRole('img').first().waitFor();
  return row.locator('canvas').evaluateAll((canvases) => canvases.map((c) => c.toDataURL()));
}

async function previewSeed(page) {
  return page.getByLabel('Augmentation preview').getAttribute('data-seed');
}

test('the preview follows toggles, sliders and re-roll; a comparison states the gap', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    const panel = page.getByRole('region', { name: 'Augmentation panel' });
    assert.equal(await panel.locator('#augment-preset option:checked').textContent(), 'None');
    let row = await firstRow(page);
    assert.equal(row.length, 6);
    assert.ok(row.every((image) => image === row[0]), 'no augmentation: every version is the original');
    // Only image augmentations are offered, each with what it assumes.
    assert.ok(await panel.getByLabel('Horizontal flip').count() === 1);
    assert.equal(await panel.getByLabel('Reverse complement').count(), 0);
    assert.match(await panel.textContent(), /Vertical flip/);

    await panel.getByLabel('Rotation', { exact: true }).check();
    await until('rotated versions', async () => {
      const now = await firstRow(page);
      return now.slice(1).some((image) => image !== now[0]);
    });
    row = await firstRow(page);
    await panel.getByLabel('Rotation magnitude').fill('1');
    await until('the preview to follow the slider', async () => (await firstRow(page)).join() !== row.join());
    row = await firstRow(page);
    const seed = await previewSeed(page);
    await panel.getByRole('button', { name: 'Re-roll' }).click();
    await until('a new seed', async () => (await previewSeed(page)) !== seed);
    await until('other versions', async () => (await firstRow(page)).join() !== row.join());
    assert.equal((await firstRow(page))[0], row[0], 'the original stays');

    await panel.locator('#augment-preset').selectOption({ label: 'Light' });
    await until('several augmentations on', async () => (await panel.locator('li.augmentation.on').count()) >= 2);

    // Compare on a small labeled subset.
    await panel.getByLabel('Labeled samples').fill('120');
    await panel.getByLabel('Epochs').fill('6');
    await panel.getByLabel('Epochs').press('Tab');
    await panel.getByRole('button', { name: 'Compare', exact: true }).click();
    const result = panel.getByLabel('Comparison result');
    await until('the comparison to finish', async () => /gap of [+-]\d+\.\d points/.test(await result.textContent()),
      { timeout: 120_000 });
    assert.match(await result.textContent(), /After 6 epochs on 120 labeled samples: \d+\.\d% with augmentation, \d+\.\d% without/);
    const chart = panel.getByRole('img', { name: /Validation accuracy by epoch/ });
    assert.equal(await chart.locator('polyline, path.line').count(), 2, 'two curves');

    // The two runs' layers, compared in the Explain tab.
    await page.getByRole('tab', { name: 'Explain' }).click();
    const explain = page.getByRole('region', { name: 'Explain panel' });
    await explain.getByLabel('Compare with', { exact: true })
      .selectOption({ label: 'The augmentation comparison: with against without' });
    await explain.getByRole('button', { name: 'Compare layers' }).click();
    const table = explain.getByRole('table', { name: /^Linear CKA between the layers of the run with augmentation \(rows\) and the run without \(columns\)/ });
    await table.waitFor({ timeout: 30_000 });
    assert.ok(await table.locator('tbody tr').count() >= 3, 'a row per layer');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});
