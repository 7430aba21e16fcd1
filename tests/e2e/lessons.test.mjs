// Browser tests of the lessons: one completed end to end (each step checked by the page
// before Next), progress kept across a reload, a lesson step opened by its link, and a
// malformed lesson file named in the alert region while the others stay offered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openApp, until, chooseCompute, accessibilityProblems } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(); browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); await server.close(); });

const bar = (page) => page.getByRole('region', { name: 'Lessons' });
const heading = async (page) => (await bar(page).getByRole('heading').textContent()).trim();
const next = (page, name = 'Next') => bar(page).getByRole('button', { name, exact: true });

test('a lesson is completed end to end, each step checked; its progress is kept', async () => {
  const page = await openApp(browser, server.url);
  try {
    await chooseCompute(page, 'CPU');
    await bar(page).getByRole('button', { name: 'Show the lessons' }).click();
    await bar(page).getByLabel('Lessons', { exact: true }).waitFor();
    const titles = await bar(page).getByLabel('Lessons', { exact: true }).locator('option').allTextContents();
    assert.equal(titles.length, 1 + 7, `seven lessons: ${titles}`);
    await bar(page).getByLabel('Lessons', { exact: true }).selectOption({ label: 'CNNs on images' });
    assert.equal(await heading(page), 'Step 1 of 4: Images as data');
    await next(page).click();

    assert.equal(await heading(page), 'Step 2 of 4: Train it');
    const goal = bar(page).getByLabel('Lesson goal');
    assert.match(await goal.textContent(), /^Reach 90% validation accuracy/);
    assert.ok(await next(page).isDisabled(), 'Next waits for the goal');
    await page.getByRole('button', { name: 'Train' }).click();
    await until('the goal reached', async () => /^Done: Reach 90%/.test(await goal.textContent()), { timeout: 120_000 });
    await page.getByRole('button', { name: 'Pause' }).click();
    await next(page).click();

    assert.equal(await heading(page), 'Step 3 of 4: What did it look at?');
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Explain', 'the step opens its tab');
    const explain = page.getByRole('region', { name: 'Explain panel' });
    await explain.getByRole('button', { name: 'Explain', exact: true }).click();
    await until('the attribution goal', async () => /^Done/.test(await goal.textContent()));
    await next(page).click();

    assert.equal(await heading(page), 'Step 4 of 4: Inside the network');
    await explain.getByRole('button', { name: 'Project with PCA' }).click();
    await until('the embeddings goal', async () => /^Done/.test(await goal.textContent()));
    assert.deepEqual(await accessibilityProblems(page, '.lessons'), []);
    await next(page, 'Finish').click();
    await bar(page).getByText('CNNs on images: done.').waitFor();

    // The address still names the lesson: a reload reads the lessons and shows it done.
    await page.reload();
    await until('the lessons offered again', async () =>
      (await bar(page).getByLabel('Lessons', { exact: true }).locator('option').allTextContents()).includes('CNNs on images (done)'));
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
  }
});

test('a link opens a lesson at its step; a malformed lesson file is named and the others stay', async () => {
  const page = await openApp(browser, `${server.url}#lesson=interpretability&step=2`);
  try {
    await until('the linked step', async () => (await bar(page).getByRole('heading').count()) === 1);
    assert.equal(await heading(page), 'Step 2 of 3: Integrated Gradients');
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Explain');
    assert.match(page.url(), /lesson=interpretability&step=2/);
  } finally {
    await page.close();
  }

  // Without the service worker, whose cache would answer before the broken file is served.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const broken = await context.newPage();
  try {
    await broken.route('**/assets/lessons/graphs.json', (route) =>
      route.fulfill({ contentType: 'application/json', body: '{ "title": "GNNs", "steps": [' }));
    await broken.goto(server.url);
    await bar(broken).getByRole('button', { name: 'Show the lessons' }).click();
    await until('the message', async () =>
      /Lesson assets\/lessons\/graphs\.json, line 1, column \d+: /.test(await broken.getByRole('alert').textContent()));
    const titles = await bar(broken).getByLabel('Lessons', { exact: true }).locator('option').allTextContents();
    assert.equal(titles.length, 1 + 6, 'the other lessons are offered');
  } finally {
    await context.close();
  }
});
