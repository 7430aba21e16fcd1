// Turns the bench's JSON lines (stdin) into the tables the README shows.
import readline from 'node:readline';

const records = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) records.push(JSON.parse(trimmed));
  else if (/^explain (native|wasm) /.test(trimmed)) {
    const [, where, what, ms] = trimmed.split(/\s+/);
    records.push({ kind: 'explain', where, what, ms: +ms });
  } else if (/^smiles (native|wasm) parse /.test(trimmed)) {
    const [, where, , rate] = trimmed.split(/\s+/);
    records.push({ kind: 'smiles', where, rate: +rate });
  } else if (/^regression (native|wasm) /.test(trimmed)) {
    const [, where, what, ms] = trimmed.split(/\s+/);
    records.push({ kind: 'regression', where, what, ms: +ms });
  } else if (/^labeling (native|wasm) /.test(trimmed)) {
    const [, where, what, ms] = trimmed.split(/\s+/);
    records.push({ kind: 'labeling', where, what, ms: +ms });
  } else if (/^native-threads /.test(trimmed)) {
    const [, workload, speed, threads] = trimmed.split(/\s+/);
    records.push({ kind: 'threads', workload, samples_per_s: +speed, threads: +threads });
  } else if (/^(against-)?(native|wasi)-flex /.test(trimmed)) {
    const [where, workload, speed] = trimmed.split(/\s+/);
    const build = where.startsWith('against-') ? 'against' : 'today';
    const kind = where.replace(/^against-/, '').startsWith('wasi') ? 'wasi' : 'native';
    records.push({ kind, workload, samples_per_s: +speed, build });
  }
}
const fmt = (n) => (n == null || Number.isNaN(n) ? '—' : Math.round(n).toLocaleString('en-US'));
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
const speed = (kind, workload, backend) =>
  records.find((r) => r.kind === kind && r.workload === workload && (!backend || r.backend === backend))?.samples_per_s;

const WORKLOADS = [
  ['cnn', 'CNN, Shapes 28×28 (batch 128)'],
  ['cnn1d', '1-D CNN, DNA 100–200 bases (batch 32)'],
  ['lstm', 'LSTM(32), DNA 100–200 bases (batch 32)'],
  ['transformer', 'Transformer 2×32 (4 heads), DNA 100–200 bases (batch 32)'],
  ['gru', 'GRU(32), waveforms 128 steps (batch 32)'],
  ['gin', 'GIN 3×32, molecules (batch 32 graphs)'],
  ['gcn-nodes', 'GCN 2×32, 160-node graph (batch 32 nodes)'],
];
const againstAt = process.argv.indexOf('--against');
if (againstAt >= 0) {
  compare(process.argv[againstAt + 1]);
  process.exit(0);
}

/** `scripts/bench --against REV`: REV's CPU engine beside today's, each with its spread. */
function compare(rev) {
  // Every record but today's is REV's (native lines say `against`, the page's name the commit).
  const runs = (kind, workload, build) => records
    .filter((r) => r.kind === kind && r.workload === workload && r.samples_per_s > 0 &&
      (r.build === 'today') === (build === 'today'))
    .map((r) => r.samples_per_s)
    .sort((a, b) => a - b);
  const median = (xs) => (xs.length ? xs[Math.floor((xs.length - 1) / 2)] : NaN);
  const cell = (xs) => (xs.length ? `${fmt(median(xs))} (${fmt(xs[0])}–${fmt(xs[xs.length - 1])})` : '—');
  console.log(`\nTraining samples/s, the CPU engine of ${rev} against today's (median of the runs, min–max):\n`);
  console.log(`| workload | where | ${rev} | today | today / ${rev} |`);
  console.log('|---|---|---:|---:|---:|');
  for (const [id, title] of WORKLOADS) {
    for (const [kind, where] of [['native', 'native Flex, 1 thread'], ['petri', 'page, CPU']]) {
      const old = runs(kind, id, 'against');
      const now = runs(kind, id, 'today');
      if (!old.length && !now.length) continue; // e.g. the page with --native-only
      const ratio = old.length && now.length ? `${(median(now) / median(old)).toFixed(2)}×` : '—';
      console.log(`| ${title} | ${where} | ${cell(old)} | ${cell(now)} | ${ratio} |`);
    }
  }
  for (const r of records.filter((r) => r.error)) console.log(`(${r.build} ${r.backend} ${r.workload}: ${r.error})`);
}

const tfBest = (workload) => records
  .filter((r) => r.kind === 'tfjs' && r.workload === workload && r.samples_per_s)
  .reduce((best, r) => (!best || r.samples_per_s > best.samples_per_s ? r : best), null);

console.log('\nTraining samples/s (graphs/s, nodes/s) — Chromium headless, 2-core machine, software WebGPU adapter:\n');
console.log('| workload | Petri browser CPU | Petri browser WebGPU | Petri native Flex | Petri wasm (Node) | TF.js best in the same Chromium |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [id, title] of WORKLOADS) {
  const tf = tfBest(id);
  console.log(`| ${title} | ${fmt(speed('petri', id, 'cpu'))} | ${fmt(speed('petri', id, 'webgpu'))} | ${fmt(speed('native', id))} | ${fmt(speed('wasi', id))} | ${tf ? `${fmt(tf.samples_per_s)} (${tf.backend})` : '—'} |`);
}
const threaded = records.filter((r) => r.kind === 'threads');
if (threaded.length) {
  console.log(`\nThe \`petri\` command line on this machine's CPU (native Flex), one thread and all ${threaded[0].threads}:\n`);
  console.log('| workload | one thread | all threads | speed-up |');
  console.log('|---|---:|---:|---:|');
  for (const [id, title] of WORKLOADS) {
    const one = speed('native', id);
    const all = threaded.find((r) => r.workload === id)?.samples_per_s;
    console.log(`| ${title} | ${fmt(one)} | ${fmt(all)} | ${one && all ? `${(all / one).toFixed(1)}×` : '—'} |`);
  }
}
const tfAll = records.filter((r) => r.kind === 'tfjs');
if (tfAll.length) {
  console.log('\nTF.js 4.22 by backend: ' + tfAll.map((r) => `${r.workload}/${r.backend} ${r.samples_per_s ? fmt(r.samples_per_s) : r.backend}`).join(', '));
}
for (const id of ['cnn', 'lstm']) {
  const cpu = speed('petri', id, 'cpu');
  const tf = tfBest(id);
  if (cpu && tf) console.log(`${id}: Petri CPU in the browser / best TF.js backend (${tf.backend}): ${(cpu / tf.samples_per_s).toFixed(1)}×`);
}
const cpu = speed('petri', 'cnn', 'cpu');
const native = speed('native', 'cnn');
const wasi = speed('wasi', 'cnn');
if (cpu && native) console.log(`cnn: Petri CPU in the browser / native Flex: ${((100 * cpu) / native).toFixed(0)}% (target ≥ 85%)`);
if (wasi && native) console.log(`cnn: WebAssembly / native, same code without a browser: ${((100 * wasi) / native).toFixed(0)}%`);
if (cpu && wasi) console.log(`cnn: Petri CPU in the browser / WebAssembly under Node: ${((100 * cpu) / wasi).toFixed(0)}%`);
const start = records.find((r) => r.kind === 'startup');
const dl = records.find((r) => r.kind === 'download');
if (start) {
  console.log(`\nDownload of the page as first opened (gzip -9): ${mb(start.gzip_bytes)} (target ≤ 3 MB): ${start.files.join(', ')}`);
  if (dl) console.log(`The WebGPU engine, loaded only when WebGPU is chosen or a hardware GPU is found: +${mb(dl.gpu_engine_gzip_bytes)}`);
  console.log(`Time to the app shell: ${start.shell_ms} ms; to "engine ready": ${start.ready_ms} ms (localhost)`);
}
for (const r of records.filter((r) => r.error)) console.log(`(${r.backend} ${r.workload}: ${r.error})`);
const labeling = records.filter((r) => r.kind === 'labeling');
if (labeling.length) {
  const ms = (where, what) => {
    const r = labeling.find((l) => l.where === where && l.what === what);
    return r ? `${r.ms.toFixed(1)} ms` : '—';
  };
  console.log('\nLabeling on the CPU engine (Flex), ms:\n');
  console.log('| work | native | WebAssembly (Node) |');
  console.log('|---|---:|---:|');
  for (const [what, title] of [
    ['rescore-images', 'Re-score a pool of 2,000 images (CNN, predict + rank)'],
    ['rescore-sequences', 'Re-score a pool of 2,000 DNA sequences (1-D CNN)'],
    ['step-supervised', 'Training step, Shapes CNN, batch 32'],
    ['step-consistency', 'Consistency step, batch 32 + 96 unlabeled'],
    ['step-supervised-128', 'Training step, Shapes CNN, batch 128'],
    ['step-pretrain-128', 'Pretraining step, 128 samples as two views each (NT-Xent)'],
  ]) console.log(`| ${title} | ${ms('native', what)} | ${ms('wasm', what)} |`);
}

const explained = records.filter((r) => r.kind === 'explain');
if (explained.length) {
  console.log('\nExplaining one sample (ms; Integrated Gradients 32 steps, SmoothGrad 16 samples), and t-SNE of 600 points:\n');
  console.log('| work | native Flex | wasm (Node) |');
  console.log('|---|---:|---:|');
  for (const what of [...new Set(explained.map((r) => r.what))]) {
    const at = (where) => explained.find((r) => r.what === what && r.where === where)?.ms;
    const ms = (v) => (v == null ? '—' : v.toFixed(1));
    console.log(`| ${what} | ${ms(at('native'))} | ${ms(at('wasm'))} |`);
  }
}

const smiles = records.filter((r) => r.kind === 'smiles');
if (smiles.length) {
  console.log(`\nSMILES read into molecular graphs: ${smiles.map((r) => `${fmt(r.rate)} molecules/s (${r.where})`).join(', ')}`);
}
const regression = records.filter((r) => r.kind === 'regression');
if (regression.length) {
  const at = (what, where) => regression.find((r) => r.what === what && r.where === where)?.ms;
  const ms = (v) => (v == null ? '—' : `${v.toFixed(2)} ms`);
  console.log('\nA GIN training step on Molecules, batch 32 (one thread):\n');
  console.log('| target | native Flex | wasm (Node) |');
  console.log('|---|---:|---:|');
  for (const [what, title] of [['gin-classification', 'class (6-ring or not), cross-entropy'], ['gin-regression', 'measured value (lipophilicity), MSE']])
    console.log(`| ${title} | ${ms(at(what, 'native'))} | ${ms(at(what, 'wasm'))} |`);
}
