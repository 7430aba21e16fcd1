// Takes docs/screenshot.png: the built page (dist/) training the CNN on Shapes for a while.
// Run: node bench/screenshot.mjs   (after `trunk build --release`)
import path from 'node:path';
import { serve, launch, openApp, until, percent } from '../tests/e2e/harness.mjs';

const out = process.argv[2] ?? path.resolve('docs/screenshot.png');
const server = await serve();
const browser = await launch({ webgpu: false });
try {
  const page = await openApp(browser, server.url);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await until('validation accuracy ≥ 90%', async () => (await percent(page, 'Validation accuracy')) >= 0.9, { timeout: 120_000 });
  await page.waitForTimeout(3000);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
