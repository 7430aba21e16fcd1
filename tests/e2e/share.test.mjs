// Browser tests of links: Share copies a link that restores the whole experiment (and, on the
// CPU with the same seed, the same run); bad links say what was left out and still work; a link
// naming an upload the visitor does not have says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openApp, value, until, chooseCompute, setNumber } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

async function steps(page) {
  return parseInt(await value(page, 'Steps'), 10);
}

/** Presses Step `n` times, each waiting for its step; then the losses shown. */
async function stepLosses(page, n) {
  for (let i = 0; i < n; i++) {
    await page.getByRole('button', { name: 'Step' }).click();
    await until(`step ${i + 1}`, async () => (await steps(page)) === i + 1);
  }
  await page.getByText(`Validation predictions at step ${n}`).waitFor();
  return [await value(page, 'Training loss'), await value(page, 'Validation loss')];
}

/** Waits for the labeling queue (the engine scores the pool first; Step waits for it). */
async function queueScored(page) {
  await page.locator('.asked[data-id]').waitFor({ timeout: 60_000 });
}

/** What the controls show: every setting the test changes. */
async function settings(page) {
  return {
    dataset: await page.locator('#dataset').inputValue(),
    seed: await page.getByLabel('Seed', { exact: true }).inputValue(),
    learningRate: await page.getByLabel('Learning rate', { exact: true }).inputValue(),
    batchSize: await page.getByLabel('Batch size', { exact: true }).inputValue(),
    optimizer: await page.getByLabel('Optimizer', { exact: true }).inputValue(),
    dropout: await page.locator('#dropout').inputValue(),
    padding: await page.locator('#padding').inputValue(),
    batchNorm: await page.locator('#batch-norm').isChecked(),
    preset: await page.locator('#augment-preset option:checked').textContent(),
    labelsPerClass: await page.getByLabel('Labels per class', { exact: true }).inputValue(),
    tab: await page.getByRole('tab', { selected: true }).textContent(),
    cpuThreads: await page.getByLabel('CPU threads', { exact: true }).inputValue(),
    // The opened page may run on more threads (the service worker isolates it): the link sets
    // how many a run uses, not how many the page has.
    compute: (await value(page, 'Compute status')).replace(/; (one thread|\d+ threads)$/, ''),
  };
}

test('Share copies a link that restores every setting; on the CPU the run repeats exactly', async () => {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await openApp(context, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await setNumber(page, 'CPU threads', 1);
    await setNumber(page, 'Seed', 7);
    await setNumber(page, 'Learning rate', 0.01);
    await setNumber(page, 'Batch size', 16);
    await page.getByLabel('Optimizer', { exact: true }).selectOption({ label: 'SGD + momentum' });
    await page.locator('#padding').selectOption('same');
    await page.locator('#batch-norm').check();
    await setNumber(page, 'Dropout', 0.2);
    await page.locator('#augment-preset').selectOption({ label: 'Light' });
    await page.getByLabel('Labels per class', { exact: true }).selectOption('10');
    await page.getByRole('tab', { name: 'Labeling' }).click();
    await queueScored(page);
    const chosen = await settings(page);

    await page.getByRole('button', { name: 'Share' }).click();
    const link = await page.getByLabel('Link', { exact: true }).inputValue();
    assert.match(link, /#v=1&/);
    assert.ok(link.length < 200, `a short link: ${link}`);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link, 'copied');
    assert.equal(page.url(), link, 'the address bar holds the same link');
    const losses = await stepLosses(page, 3);
    assert.notEqual(losses[0], '—');

    const opened = await openApp(context, link);
    await until('the compute status to name the CPU', async () => /Compute: CPU/.test(await value(opened, 'Compute status')));
    assert.deepEqual(await settings(opened), chosen);
    await queueScored(opened);
    assert.deepEqual(await stepLosses(opened, 3), losses, 'the same run');
    assert.deepEqual([...page.problems, ...opened.problems], []);
  } finally {
    await context.close();
  }
});

test('a bad link says what it left out and the page works; a link to an upload says it is missing', async () => {
  const page = await openApp(browser, `${server.url}#v=1&lr=abc&m=transformer&zz=3&s=5&t=explain`);
  try {
    const alert = page.getByRole('alert');
    const message = await alert.textContent();
    assert.match(message, /learning rate `lr=abc` cannot be used .*using `0\.005` instead/);
    assert.match(message, /model `m=transformer` cannot be used/);
    assert.match(message, /`zz` is unknown/);
    assert.equal(await page.getByLabel('Seed', { exact: true }).inputValue(), '5', 'the good part is kept');
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Explain');
    await chooseCompute(page, 'CPU');
    await stepLosses(page, 1);

    const upload = await openApp(browser, `${server.url}#v=1&d=uploaded&m=mlp`);
    await until('the missing upload message', async () =>
      /uploaded dataset, which this browser does not have/.test(await upload.getByRole('alert').textContent()));
    assert.match(upload.url(), /[#&]d=uploaded&m=mlp(&|$)/, 'the link\'s dataset and model are kept');
    await upload.close();
  } finally {
    await page.close();
  }
});
