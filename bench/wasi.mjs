// Runs the native bench compiled to wasm32-wasip1 (with SIMD) under Node: the same training
// code as the browser's CPU engine, without a browser, to separate WebAssembly's cost from
// the page's. Usage: node bench/wasi.mjs bench.wasm [steps] [batch]
import { WASI } from 'node:wasi';
import fs from 'node:fs';
const wasi = new WASI({ version: 'preview1', args: ['bench', ...process.argv.slice(3)], env: {} });
const mod = await WebAssembly.compile(fs.readFileSync(process.argv[2]));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
wasi.start(inst);
