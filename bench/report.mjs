// Turns the bench's JSON lines (stdin) into the table the README shows.
import readline from 'node:readline';

const records = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) records.push(JSON.parse(trimmed));
  else if (/^(native|wasi)-flex/.test(trimmed)) {
    const [where, model, speed] = trimmed.split(/\s+/);
    records.push({ kind: where.startsWith('wasi') ? 'wasi' : 'native', model, samples_per_s: +speed });
  }
}
const find = (kind, backend) => records.find((r) => r.kind === kind && (!backend || r.backend === backend));
const fmt = (n) => (n == null || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;

const native = find('native');
const wasi = find('wasi');
const cpu = find('petri', 'cpu');
const gpu = find('petri', 'webgpu');
const tf = records.filter((r) => r.kind === 'tfjs' && r.samples_per_s);
const bestTf = tf.reduce((best, r) => (!best || r.samples_per_s > best.samples_per_s ? r : best), null);

const rows = [
  ['Petri, browser, CPU (Flex, wasm SIMD)', cpu?.samples_per_s],
  ['Petri, browser, WebGPU (software adapter)', gpu?.samples_per_s],
  ['Petri, native, Flex', native?.samples_per_s],
  ['Petri, WebAssembly SIMD under Node (WASI), Flex', wasi?.samples_per_s],
  ...tf.map((r) => [`TF.js 4.22, browser, ${r.backend}`, r.samples_per_s]),
];
console.log('\nTraining the reference CNN (conv3×3·8 → pool → conv3×3·16 → pool → dense·4), batch 128:\n');
console.log('| runtime | samples/s |');
console.log('|---|---:|');
for (const [name, speed] of rows) console.log(`| ${name} | ${fmt(speed)} |`);
console.log('');
if (cpu && bestTf) console.log(`Petri CPU in the browser / best TF.js backend (${bestTf.backend}): ${(cpu.samples_per_s / bestTf.samples_per_s).toFixed(1)}× (target ≥ 10×)`);
if (cpu && native) console.log(`Petri CPU in the browser / native Flex: ${((100 * cpu.samples_per_s) / native.samples_per_s).toFixed(0)}% (target ≥ 85%)`);
if (wasi && native) console.log(`WebAssembly / native, same code without a browser: ${((100 * wasi.samples_per_s) / native.samples_per_s).toFixed(0)}%`);
if (cpu && wasi) console.log(`Petri CPU in the browser / WebAssembly under Node: ${((100 * cpu.samples_per_s) / wasi.samples_per_s).toFixed(0)}%`);
if (gpu && bestTf) console.log(`Petri WebGPU / best TF.js backend: ${(gpu.samples_per_s / bestTf.samples_per_s).toFixed(1)}×`);
const start = find('startup');
const dl = find('download');
if (start) {
  console.log(`\nDownload of the page as first opened (gzip -9): ${mb(start.gzip_bytes)} (target ≤ 3 MB): ${start.files.join(', ')}`);
  if (dl) console.log(`The WebGPU engine, loaded only when WebGPU is chosen or a hardware GPU is found: +${mb(dl.gpu_engine_gzip_bytes)}`);
  console.log(`Time to the app shell: ${start.shell_ms} ms; to "engine ready": ${start.ready_ms} ms (localhost)`);
}
