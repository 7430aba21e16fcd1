// Browser tests of offline use: after the first visit the page reloads and trains with the
// network cut; a new deployment is offered as an update and replaces the old cache whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, openApp, value, until, chooseCompute, DIST } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let browser;
before(async () => { browser = await launch({ webgpu: false }); });
after(async () => { await browser.close(); });

/** The names of Petri's caches in the page's origin. */
async function petriCaches(page) {
  return page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('petri-')));
}

test('after the first visit the page reloads and trains offline; a new deployment is offered and replaces the cache', async () => {
  // A deployment of its own, so that the test can publish a new one.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petri-deploy-'));
  fs.cpSync(DIST, dir, { recursive: true });
  const server = await serve({ dir });
  const context = await browser.newContext();
  try {
    const page = await openApp(context, server.url);
    await until('the service worker to control the page', () =>
      page.evaluate(() => Boolean(navigator.serviceWorker.controller)), { timeout: 60_000 });
    const [first] = await petriCaches(page);
    assert.ok(first, 'a cache for this deployment');

    await context.setOffline(true);
    await page.reload();
    await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
    await chooseCompute(page, 'CPU');
    await page.getByRole('button', { name: 'Step' }).click();
    await until('a step trained offline', async () => (await value(page, 'Steps')) === '1');
    assert.notEqual(await value(page, 'Training loss'), '—');
    await context.setOffline(false);

    // A new deployment: one file changed, a new service worker with a new version.
    fs.appendFileSync(path.join(dir, 'assets/examples/README.md'), '\nA new deployment.\n');
    execFileSync('node', [path.join(root, 'scripts/precache.mjs')],
      { env: { ...process.env, TRUNK_STAGING_DIR: dir, TRUNK_SOURCE_DIR: root } });
    await page.reload();
    const update = page.getByRole('button', { name: 'Reload to update' });
    await update.waitFor({ timeout: 60_000 });
    const readme = async () => page.evaluate(async () => (await fetch('assets/examples/README.md')).text());
    assert.equal((await petriCaches(page)).length, 2, 'the new version waits in a cache of its own');
    assert.doesNotMatch(await readme(), /A new deployment/, 'the old version serves until the reload');
    await update.click();
    await until('the new version alone', async () => {
      const names = await petriCaches(page).catch(() => []);
      return names.length === 1 && names[0] !== first;
    });
    await page.getByText('Engine ready').waitFor({ timeout: 60_000 });
    assert.match(await readme(), /A new deployment/, 'the new files are served');
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
