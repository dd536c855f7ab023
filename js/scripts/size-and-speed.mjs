// Reports the package's size and speed and writes js/RESULTS.md (not a test: nothing is
// asserted). Run after `npm run build`: `npm run size-and-speed`.
//
// Both builds: the whole engine (`@cpm/engine`, pkg/) and the decisions-only runtime
// (`@cpm/engine/decide`, pkg-decide/). Sizes: the optimised .wasm (raw, gzip -9, brotli) and
// the glue. Speed, in Node and in headless Chromium: the first load (fetch/read + compile +
// instantiate the wasm), then `Engine.load` of a bundle, and evaluations per second for the
// example Discount table (6 rules) and a generated 1,000-row UNIQUE table.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';

import { chromium } from 'playwright-core';

import * as api from '@cpm/engine';
import * as lean from '@cpm/engine/decide';

import { chromiumOptions, jsRoot, modelFiles, repoRoot, serve } from '../test/helpers.js';
import { runBench } from './bench.js';

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const sizes = (path) => {
  const bytes = readFileSync(path);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};

const wasm = sizes(join(jsRoot, 'pkg', 'cpm_web_bg.wasm'));
const glue = sizes(join(jsRoot, 'pkg', 'cpm_web.js'));
const leanWasm = sizes(join(jsRoot, 'pkg-decide', 'cpm_web_decide_bg.wasm'));
const leanGlue = sizes(join(jsRoot, 'pkg-decide', 'cpm_web_decide.js'));
const common = sizes(join(jsRoot, 'common.js'));
// Shipped gzipped: its gzip size is the file, its raw size what it holds.
const tzdataFile = readFileSync(join(jsRoot, 'pkg-decide', 'tzdata.bin'));
const tzdata = { raw: gunzipSync(tzdataFile).length, gzip: tzdataFile.length };
// cargo's output is the build made last by scripts/build.sh: the decisions-only one.
const cargoWasm = join(repoRoot, 'target', 'wasm32-unknown-unknown', 'wasm-release', 'cpm_web.wasm');
let beforeOpt = null;
try {
  statSync(cargoWasm);
  beforeOpt = sizes(cargoWasm);
} catch {
  beforeOpt = null;
}

const customer = modelFiles(join(repoRoot, 'examples', 'customer'));
// The whole engine first: the decide run compiles its bench models with the whole engine's
// `build`, which would otherwise load the whole engine's wasm before its first use is timed.
// The decide entry's wasm is a module of its own, first used (and timed) in its run.
console.log('measuring in Node (whole engine) …');
const node = await runBench(api, customer);
console.log('measuring in Node (decide entry) …');
const nodeLean = await runBench({ Engine: lean.Engine, init: lean.init, build: api.build }, customer);

console.log('measuring in Chromium …');
const server = await serve(jsRoot);
const browser = await chromium.launch(chromiumOptions);
let browserResult;
let browserLean;
let chromiumVersion;
try {
  chromiumVersion = browser.version();
  const inPage = async (which) => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/scripts/bench.html`);
    await page.waitForFunction(() => window.benchReady === true);
    const result = await page.evaluate(([files, w]) => window.bench(files, w), [customer, which]);
    await page.close();
    return result;
  };
  browserResult = await inPage('full');
  browserLean = await inPage('decide');
} finally {
  await browser.close();
  await server.close();
}

const fmt = (n) => n.toLocaleString('en-US');
const ms = (n) => `${n.toFixed(2)} ms`;
const row = (label, f) => `| ${label} | ${f(node)} | ${f(nodeLean)} | ${f(browserResult)} | ${f(browserLean)} |`;
const fullOnly = (label, f) => `| ${label} | ${f(node)} | — | ${f(browserResult)} | — |`;
const cpu = (() => {
  try {
    return execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown CPU';
  }
})();

const report = `# Size and speed of the browser package

Measured by \`npm run size-and-speed\` (js/scripts/size-and-speed.mjs) on ${new Date().toISOString().slice(0, 10)};
${cpu}, 2 cores shared with other work, Node ${process.versions.node}, Chromium ${chromiumVersion} headless.
Numbers vary from run to run by 10–20 %; they are a report, not a test.

## Size

| file | raw | gzip -9 | brotli 11 |
| --- | ---: | ---: | ---: |
| \`pkg/cpm_web_bg.wasm\`: the whole engine, \`@cpm/engine\` (after \`wasm-opt -Oz\`) | ${kb(wasm.raw)} | **${kb(wasm.gzip)}** | ${kb(wasm.brotli)} |
| \`pkg-decide/cpm_web_decide_bg.wasm\`: decisions only, \`@cpm/engine/decide\` (after \`wasm-opt -Oz\`) | ${kb(leanWasm.raw)} | **${kb(leanWasm.gzip)}** | ${kb(leanWasm.brotli)} |
${beforeOpt ? `| cargo's \`cpm_web.wasm\` of the decide build (before wasm-bindgen and wasm-opt) | ${kb(beforeOpt.raw)} | ${kb(beforeOpt.gzip)} | ${kb(beforeOpt.brotli)} |\n` : ''}| \`pkg-decide/tzdata.bin\`: the decide entry's time-zone data, fetched only for bundles that can meet a named zone (shipped gzipped) | ${kb(tzdata.raw)} | ${kb(tzdata.gzip)} | — |
| \`pkg/cpm_web.js\` (glue of the whole engine) | ${kb(glue.raw)} | ${kb(glue.gzip)} | ${kb(glue.brotli)} |
| \`pkg-decide/cpm_web_decide.js\` (glue of the decide build) | ${kb(leanGlue.raw)} | ${kb(leanGlue.gzip)} | ${kb(leanGlue.brotli)} |
| \`common.js\` (shared by both entries) | ${kb(common.raw)} | ${kb(common.gzip)} | ${kb(common.brotli)} |

Target: ≤ 250 KB gzip for the decide build (the whole engine carries the compiler, processes and
templates besides). Where the bytes go, the measured steps and what each remaining option would
cost: [docs/browser.md](../docs/browser.md#where-the-size-goes).

## Speed

| measurement | Node, whole | Node, decide | Chromium, whole | Chromium, decide |
| --- | ---: | ---: | ---: | ---: |
${row('first use: read/fetch + compile + instantiate the wasm', (r) => ms(r.initMs))}
${row(`\`Engine.load\`, example rules (${fmt(node.small.bundleBytes)} B bundle)`, (r) => ms(r.small.loadMs))}
${row(`\`Engine.load\`, 1,000-row table (${fmt(node.big.bundleBytes)} B bundle)`, (r) => ms(r.big.loadMs))}
${fullOnly('`build()` of the 1,000-row table in wasm', (r) => ms(r.big.buildMs))}
${row('small table (Discount, 6 rules): `decideJson`, no explanation — evaluations/s', (r) => fmt(r.small.decideJsonNoExplain))}
${row('small table: `decide` (JS object), no explanation — evaluations/s', (r) => fmt(r.small.decideObjectNoExplain))}
${row('small table: `decide` (JS object) with explanation — evaluations/s', (r) => fmt(r.small.decideObjectExplain))}
${row('1,000-row UNIQUE table: `decideJson`, no explanation — evaluations/s', (r) => fmt(r.big.decideJsonNoExplain))}
${row('1,000-row table: `decide` (JS object), no explanation — evaluations/s', (r) => fmt(r.big.decideObjectNoExplain))}
${row('1,000-row table: `decide` (JS object) with explanation — evaluations/s', (r) => fmt(r.big.decideObjectExplain))}
`;

writeFileSync(join(jsRoot, 'RESULTS.md'), report);
console.log(report);
