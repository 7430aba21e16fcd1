// Browser tests of embedding: the example host page (www/embed-example.html) embeds two panels;
// the first reports training through postMessage and obeys the host's start and pause, while
// messages from another window, or from a parent whose origin is not allowed, are ignored; the
// second is read-only. The Embed button gives the <iframe> snippet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openApp, until } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('an embedded panel reports to its host and obeys it; other windows and origins are ignored', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems = [];
  page.on('pageerror', (err) => problems.push(err.message));
  try {
    await page.goto(`${server.url}embed-example.html`);
    const events = () => page.locator('#log li').evaluateAll((items) => items.map((i) => i.dataset.type));
    await until('the ready event', async () => (await events()).includes('ready'), { timeout: 60_000 });
    const training = page.frameLocator('#training');
    const steps = async (frame) => (await frame.getByLabel('Steps', { exact: true }).textContent()).trim();
    assert.equal(await training.getByRole('region', { name: 'Training panel' }).count(), 1);
    assert.equal(await training.getByRole('region', { name: 'Data panel' }).count(), 0, 'only the panels asked for');
    assert.equal(await training.getByRole('button', { name: 'Share' }).isVisible(), false);

    // A message from another window (the sibling frame) is not the parent's: ignored.
    const sibling = page.frames().find((f) => f.url().includes('embed=model.augmentation'));
    await sibling.evaluate(() => parent.frames[0].postMessage({ source: 'petri', type: 'start' }, '*'));
    await pause(2000);
    assert.equal(await steps(training), '0');

    // The parent's commands are obeyed, and training is reported.
    await page.locator('#start').click();
    await until('step, losses and accuracy events', async () => {
      const seen = await events();
      return ['step', 'losses', 'accuracy'].every((type) => seen.includes(type));
    }, { timeout: 90_000 });
    const accuracy = await page.locator('#log li[data-type="accuracy"]').last().textContent();
    assert.match(accuracy, /"validation":0\.\d+/);
    await page.locator('#pause').click();
    await until('the finished event', async () => (await events()).includes('finished'));
    const stopped = await steps(training);
    await pause(1000);
    assert.equal(await steps(training), stopped, 'paused');

    // The read-only panel: its settings cannot be changed.
    const augmentation = page.frameLocator('#augmentation');
    await augmentation.getByRole('region', { name: 'Model panel' }).waitFor();
    assert.ok(await augmentation.locator('#augment-preset').isDisabled());
    assert.ok(await augmentation.getByLabel('Activation', { exact: true }).isDisabled());

    // A parent whose origin is not on the allow-list is ignored.
    await page.evaluate(() => {
      const frame = document.createElement('iframe');
      frame.id = 'strict';
      frame.title = 'Petri: strict';
      frame.width = 600;
      frame.height = 500;
      frame.src = './#v=1&c=cpu&embed=training&origins=https://elsewhere.example';
      document.body.append(frame);
    });
    const strict = page.frameLocator('#strict');
    await strict.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await page.evaluate(() => document.getElementById('strict').contentWindow.postMessage({ source: 'petri', type: 'start' }, '*'));
    await pause(2000);
    assert.equal(await steps(strict), '0');

    // The host sets a new experiment.
    await page.locator('#dna').click();
    await until('the DNA experiment', async () => page.frames().some((f) => /[#&]d=dna-motif/.test(f.url())));
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
});

test('Embed gives an iframe snippet of the current experiment', async () => {
  const page = await openApp(browser, `${server.url}#v=1&lr=0.02&t=explain`);
  try {
    await page.getByRole('button', { name: 'Embed' }).click();
    const snippet = await page.getByLabel('Embed code', { exact: true }).inputValue();
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/petri\/#v=1&lr=0\.02&t=explain&embed=training\.explain" width="600"/);
    const embedded = await openApp(browser, snippet.match(/src="([^"]+)"/)[1]);
    assert.equal(await embedded.getByRole('region', { name: 'Data panel' }).count(), 0);
    await embedded.getByRole('region', { name: 'Explain panel' }).waitFor();
    await embedded.close();
  } finally {
    await page.close();
  }
});
