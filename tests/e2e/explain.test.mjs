// Browser tests of the Explain tab: a gallery card opens it on its sample; every attribution
// method on an image, a sequence and a graph, drawn; Integrated Gradients cancelled; activations; embeddings by PCA and t-SNE and a
// point clicked; the layer-similarity heat map; the sanity checks' tables; accessibility.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openApp, percent, value, until, chooseCompute, setNumber, accessibilityProblems } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const panel = (page) => page.getByRole('region', { name: 'Explain panel' });

async function chooseDataset(page, title) {
  await page.getByLabel('Dataset', { exact: true }).selectOption({ label: title });
  await until(`the data panel to describe ${title}`, async () =>
    (await page.locator('#dataset option:checked').textContent()) === title);
}

/** Trains until `done()` holds, then pauses. */
async function trainUntil(page, what, done, timeout = 180_000) {
  await page.getByRole('button', { name: 'Train' }).click();
  await until(what, done, { timeout });
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Train' }).waitFor();
}

async function openExplain(page) {
  await page.getByRole('tab', { name: 'Explain' }).click();
  assert.equal(await page.getByRole('tab', { name: 'Explain' }).getAttribute('aria-selected'), 'true');
}

/** Runs every method in the Method select on the sample chosen; returns each drawing's name. */
async function everyMethod(page, check) {
  const methods = await panel(page).getByLabel('Method', { exact: true }).locator('option').allTextContents();
  const names = [];
  for (const method of methods) {
    await panel(page).getByLabel('Method', { exact: true }).selectOption({ label: method });
    await panel(page).getByRole('button', { name: 'Explain', exact: true }).click();
    const drawing = panel(page).getByRole('img', { name: new RegExp(`^Attribution .* by ${method.replace(/[()×]/g, '.')}$`) });
    await drawing.waitFor({ timeout: 60_000 });
    await check(drawing, method);
    names.push(await drawing.getAttribute('aria-label'));
  }
  return { methods, names };
}

test('images: every method draws a heat map; cancel Integrated Gradients; embeddings, CKA and the sanity checks', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await trainUntil(page, 'validation accuracy ≥ 85%', async () => (await percent(page, 'Validation accuracy')) >= 0.85);
    // A gallery card's Explain button opens the tab on that sample.
    await page.getByRole('list', { name: 'Validation predictions' }).getByRole('button', { name: 'Explain validation sample 5', exact: true }).click();
    assert.equal(await page.getByRole('tab', { name: 'Explain' }).getAttribute('aria-selected'), 'true');
    await panel(page).getByRole('img', { name: /^Attribution of validation sample 5 .* by Saliency/ }).waitFor({ timeout: 30_000 });
    assert.equal(await panel(page).getByLabel('Validation sample', { exact: true }).inputValue(), '5');
    await setNumber(page, 'Validation sample', 3);
    const { methods } = await everyMethod(page, async (drawing, method) => {
      // The canvas holds the image with colour laid over it: some pixels are not grey.
      const coloured = await drawing.evaluate((canvas) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - data[i + 2]) > 30) n++;
        return { n, width: canvas.width };
      });
      assert.equal(coloured.width, 28, method);
      assert.ok(coloured.n >= 10, `${method}: ${coloured.n} coloured pixels`);
    });
    assert.deepEqual(methods, ['Saliency (gradient)', 'Gradient × input', 'SmoothGrad', 'Integrated Gradients', 'Occlusion', 'Grad-CAM']);
    assert.match(await panel(page).getByLabel('Attribution summary').textContent(), /validation sample 3 .*Computed in \d+ ms/);

    // A long Integrated Gradients run, cancelled: the last map stays, the panel is free again.
    await panel(page).getByLabel('Method', { exact: true }).selectOption({ label: 'Integrated Gradients' });
    await setNumber(page, 'Integration steps', 4096);
    await panel(page).getByRole('button', { name: 'Explain', exact: true }).click();
    await panel(page).getByRole('progressbar', { name: 'Integrated Gradients' }).waitFor({ timeout: 30_000 });
    await panel(page).getByRole('button', { name: 'Cancel' }).click();
    await panel(page).getByText('Cancelled: nothing was changed.').waitFor({ timeout: 10_000 });
    assert.ok(await panel(page).getByRole('button', { name: 'Explain', exact: true }).isEnabled());
    assert.match(await panel(page).getByRole('img', { name: /^Attribution/ }).getAttribute('aria-label'), /by Grad-CAM$/);
    await setNumber(page, 'Integration steps', 32);

    await panel(page).getByRole('button', { name: 'Show first-layer filters' }).click();
    const filters = panel(page).getByRole('list', { name: 'First-layer filters' });
    await filters.waitFor();
    assert.equal(await filters.getByRole('img', { name: /^Filter \d+ of the first conv layer \(3 × 3\)$/ }).count(), 8);

    await panel(page).getByRole('button', { name: 'Show activations' }).click();
    const layers = panel(page).getByRole('list', { name: 'Activations by layer' });
    await layers.waitFor();
    assert.deepEqual((await layers.getByRole('listitem').allTextContents()).map((t) => t.split(' (')[0]),
      ['input', 'conv 1', 'conv 2', 'class scores']);

    const valid = parseInt((await panel(page).getByText(/Pick one of the \d+ validation samples/).textContent()).match(/(\d+)/)[1], 10);
    for (const method of ['PCA', 't-SNE']) {
      await panel(page).getByRole('button', { name: `Project with ${method}` }).click();
      const scatter = panel(page).getByRole('img', { name: new RegExp(`^Embeddings of \\d+ validation samples by ${method}`) });
      await scatter.waitFor({ timeout: 120_000 });
      await until(`${method} finished`, async () => await panel(page).getByRole('button', { name: `Project with ${method}` }).isEnabled());
      assert.equal(await scatter.locator('circle').count(), Math.min(valid, 600), method);
    }
    // Clicking a point explains that sample.
    const point = panel(page).locator('svg.scatter circle').last();
    const sample = (await point.locator('title').textContent()).match(/sample (\d+)/)[1];
    await point.click();
    await panel(page).getByRole('img', { name: new RegExp(`^Attribution of validation sample ${sample} `) }).waitFor({ timeout: 30_000 });

    await panel(page).getByRole('button', { name: 'Compare layers' }).click();
    const cka = panel(page).getByRole('table', { name: /^Linear CKA between the model's layers/ });
    await cka.waitFor();
    const rows = cka.locator('tbody tr');
    assert.equal(await rows.count(), 4);
    for (let i = 0; i < 4; i++) assert.equal((await rows.nth(i).locator('td').nth(i).textContent()).trim(), '1.00');
    // The same layers against an early checkpoint of this run.
    const steps = await panel(page).getByLabel('Compare with', { exact: true }).locator('option').allTextContents();
    assert.ok(steps.length >= 3, steps.join(' | '));
    await panel(page).getByLabel('Compare with', { exact: true }).selectOption({ index: 1 });
    await panel(page).getByRole('button', { name: 'Compare layers' }).click();
    const against = panel(page).getByRole('table', { name: /^Linear CKA between the model's layers at step \d+ \(rows\) and at step \d+ \(columns\)/ });
    await against.waitFor();
    assert.equal((await against.locator('tbody tr').first().locator('td').first().textContent()).trim(), '1.00', 'the input is the input');

    await setNumber(page, 'Samples to check', 12);
    await panel(page).getByRole('button', { name: 'Check attributions' }).click();
    const table = panel(page).getByRole('table', { name: 'Attribution inside the true region' });
    await until('the checks to finish', async () => await panel(page).getByRole('button', { name: 'Check attributions' }).isEnabled(),
      { timeout: 180_000 });
    const head = await table.locator('thead th').allTextContents();
    assert.deepEqual(head, ['Method', 'Inside the region', "Region's share", 'Pointing game']);
    const cells = async (row) => (await table.locator('tbody tr').nth(row).locator('th, td').allTextContents()).map((t) => t.trim());
    assert.equal(await table.locator('tbody tr').count(), methods.length);
    const saliency = await cells(0);
    assert.equal(saliency[0], 'Saliency (gradient)');
    const [inside, share] = saliency.slice(1).map((t) => parseFloat(t));
    assert.ok(saliency.slice(1).every((t) => /^\d+%$/.test(t)), saliency.join(' | '));
    assert.ok(inside > 1.5 * share, `saliency: ${inside}% inside a region of ${share}%`);
    const randomised = panel(page).getByRole('table', { name: /^Randomised model/ });
    assert.equal(await randomised.locator('tbody tr').count(), methods.length);
    assert.match(await randomised.locator('thead').textContent(), /head re-initialised/);

    assert.deepEqual(await accessibilityProblems(page, '#tab-explain'), []);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test('a sequence and a graph: every method draws bars along the letters and node importance', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await chooseDataset(page, 'DNA motif (sequences)');
    await trainUntil(page, 'validation accuracy ≥ 80%', async () => (await percent(page, 'Validation accuracy')) >= 0.8);
    await openExplain(page);
    await setNumber(page, 'Validation sample', 1);
    await everyMethod(page, async (drawing, method) => {
      assert.ok((await drawing.locator('rect').count()) >= 100, `${method}: bars`);
      const letters = (await drawing.locator('text').allTextContents()).join('');
      assert.match(letters, /^[ACGT]{100,200}$/, `${method}: the letters are drawn`);
    });
    // The first layer's filters as sequence logos, each naming the bases it prefers.
    await panel(page).getByRole('button', { name: 'Show first-layer filters' }).click();
    const logos = panel(page).getByRole('list', { name: 'First-layer filters' }).getByRole('img');
    await logos.first().waitFor();
    assert.equal(await logos.count(), 32);
    assert.match(await logos.first().getAttribute('aria-label'), /^Filter 1 of the first conv layer: prefers [ACGT-]{9}$/);
    assert.ok((await logos.first().locator('text').count()) >= 9, 'letters are stacked');
    assert.deepEqual(await accessibilityProblems(page, '#tab-explain'), []);

    await chooseDataset(page, 'Molecule rings (graphs)');
    await trainUntil(page, '60 steps', async () => parseInt(await value(page, 'Steps'), 10) >= 60);
    const { methods } = await everyMethod(page, async (drawing, method) => {
      assert.ok((await drawing.locator('circle').count()) >= 10, `${method}: atoms`);
      assert.ok((await drawing.locator('line').count()) >= 9, `${method}: bonds`);
      // Edge importance: each bond drawn with its own width, at least one of them marked.
      const widths = await drawing.locator('line.weighted').evaluateAll(
        (lines) => lines.map((l) => parseFloat(l.getAttribute('stroke-width'))));
      assert.equal(widths.length, await drawing.locator('line').count(), `${method}: every bond weighted`);
      assert.ok(Math.max(...widths) > Math.min(...widths), `${method}: bonds differ in importance`);
      const facts = await panel(page).getByLabel('Attribution summary').textContent();
      assert.match(facts, /Edges: the score's (drop|gradient)/, `${method}: the edges are explained`);
    });
    assert.equal(methods.length, 5, 'no Grad-CAM for a GNN');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

/** How many different red levels a canvas holds (a drawn heat map has many). */
async function shades(canvas) {
  return canvas.evaluate((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4) seen.add(data[i]);
    return seen.size;
  });
}

test('attention: a Transformer on DNA draws every head and the rollout; a GAT weighs the bonds', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await chooseDataset(page, 'DNA motif (sequences)');
    await page.getByLabel('Model', { exact: true }).selectOption({ label: 'Transformer (self-attention)' });
    // That it learns the motif is asserted natively (tests/attention.rs); here a few steps give
    // the maps a trained model to read.
    await trainUntil(page, '20 steps', async () => parseInt(await value(page, 'Steps'), 10) >= 20);
    await openExplain(page);
    await setNumber(page, 'Validation sample', 1);
    await panel(page).getByLabel('Method', { exact: true }).selectOption({ label: 'Attention rollout' });
    await panel(page).getByRole('button', { name: 'Explain', exact: true }).click();
    const drawing = panel(page).getByRole('img', { name: /^Attribution .* by Attention rollout$/ });
    await drawing.waitFor({ timeout: 60_000 });
    assert.ok((await drawing.locator('rect').count()) >= 100, 'a bar per base');

    await panel(page).getByRole('button', { name: 'Show attention' }).click();
    const first = panel(page).getByRole('img', { name: 'Attention of layer 1, head 1: queries down, keys across' });
    await first.waitFor();
    const [width, height] = await first.evaluate((c) => [c.width, c.height]);
    assert.equal(width, height, 'a token per row and per column');
    assert.ok(width >= 101 && width <= 201, `the class token and a token per base: ${width}`);
    assert.ok((await shades(first)) > 10, 'the map is drawn');
    await panel(page).getByLabel('Layer', { exact: true }).selectOption({ label: 'layer 2' });
    await panel(page).getByLabel('Head', { exact: true }).selectOption({ label: 'head 4' });
    const last = panel(page).getByRole('img', { name: 'Attention of layer 2, head 4: queries down, keys across' });
    await last.waitFor();
    assert.ok((await shades(last)) > 10, 'another head is drawn');
    const rollout = panel(page).getByRole('img', { name: 'Attention rollout along the sequence' });
    assert.ok((await rollout.locator('rect').count()) >= 100, 'the rollout has a bar per base');
    assert.match((await rollout.locator('text').allTextContents()).join(''), /^[ACGT]{100,200}$/);
    assert.deepEqual(await accessibilityProblems(page, '#tab-explain'), []);

    await chooseDataset(page, 'Molecule rings (graphs)');
    await page.getByLabel('Layer type', { exact: true }).selectOption({ label: 'GAT (graph attention)' });
    await trainUntil(page, '40 steps', async () => parseInt(await value(page, 'Steps'), 10) >= 40);
    await panel(page).getByLabel('Method', { exact: true }).selectOption({ label: 'Saliency (gradient)' });
    await panel(page).getByRole('button', { name: 'Explain', exact: true }).click();
    await panel(page).getByRole('img', { name: /^Attribution .* by Saliency/ }).waitFor({ timeout: 60_000 });
    await panel(page).getByRole('button', { name: 'Show attention' }).click();
    const graph = panel(page).getByRole('img', { name: /^Attention of layer 1: edges by their weight/ });
    await graph.waitFor();
    const widths = await graph.locator('line.weighted').evaluateAll(
      (lines) => lines.map((l) => parseFloat(l.getAttribute('stroke-width'))));
    assert.ok(widths.length >= 9, `every bond weighted: ${widths.length}`);
    assert.ok(Math.max(...widths) > Math.min(...widths), 'bonds differ in attention');
    assert.ok((await graph.locator('circle').count()) >= 10, 'atoms');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});
