#!/usr/bin/env node
// Trunk's post-build hook: writes sw.js into the build with this deployment's version (a hash
// of every file) and the files to keep for offline use.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error('precache.mjs runs as a Trunk hook (TRUNK_STAGING_DIR is not set)');
const template = fs.readFileSync(path.join(process.env.TRUNK_SOURCE_DIR ?? '.', 'www/sw.js'), 'utf8');

const files = [];
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else files.push(path.relative(staging, full).split(path.sep).join('/'));
  }
};
walk(staging);
files.sort();
const kept = files.filter((file) => file !== 'sw.js');
const hash = crypto.createHash('sha256');
for (const file of kept) hash.update(file).update('\0').update(fs.readFileSync(path.join(staging, file)));
const version = hash.digest('hex').slice(0, 16);
const onUse = kept.filter((file) => file.startsWith('engine-gpu'));
const precache = kept.filter((file) => !onUse.includes(file));
const list = (names) => names.map((n) => JSON.stringify(n)).join(', ');
const sw = template
  .replace("'__VERSION__'", JSON.stringify(version))
  .replace("['__PRECACHE__']", `[${list(precache)}]`)
  .replace("['__ON_USE__']", `[${list(onUse)}]`);
fs.writeFileSync(path.join(staging, 'sw.js'), sw);
console.log(`sw.js: version ${version}, ${precache.length} files at install, ${onUse.length} on use`);
