// The JS half of the side-by-side benchmarks (issue #7): cpm's wasm package (../../../js,
// built with `npm run build` there) against @gorules/zen-engine, json-rules-engine and
// json-logic-js in Node, on the workloads of ../workloads/. A benchmark, not a test: nothing
// is timed until every engine's answers on every benchmark input equal cases.json, and the
// run exits 1 otherwise.
//
//   node bench.mjs [--out results-node.json] [--evaluations N]
//
// Each workload × engine is measured in a child process of its own (`--child`), so the peak
// RSS it reports (process.resourceUsage().maxRSS) is that engine's alone (plus Node itself,
// measured as `node` with nothing loaded). In the child: load and prepare the rules, warm up
// (N/10 evaluations, at most 1 s), then time each of up to N single evaluations (cycling
// through the cases, at most 5 s) with process.hrtime for p50/p99; then evals/s as the median
// rate of batches of ~1 ms (robust to preemption on a shared machine; the plain rate of the
// timed loop is reported too, as loopEvalsPerSec). Async engines (ZEN, json-rules-engine) are awaited per
// evaluation, as a caller would.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const workloadsDir = join(here, '..', 'workloads');
const WORKLOADS = ['small-table', 'table-1k', 'table-10k', 'expressions', 'graph'];
const ENGINES = ['cpm', 'zen', 'json-rules-engine', 'json-logic'];
// The JS↔wasm boundary: the same cpm evaluation through each entry point.
const BOUNDARY = ['cpm', 'cpm-json-string', 'cpm-json-roundtrip'];
const FILES = {
  cpm: 'cpm.yaml',
  zen: 'zen.json',
  'json-rules-engine': 'json-rules-engine.json',
  'json-logic': 'json-logic.json',
};

function loadWorkload(name) {
  const path = join(workloadsDir, name, 'cases.json');
  if (!existsSync(path)) {
    throw new Error(`${path} is missing (run: python3 benches/compare/workloads/gen_tables.py)`);
  }
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  return { ...doc, dir: join(workloadsDir, name) };
}

// Loads one engine for one workload; returns { version, eval(input) → output (maybe a promise) }.
async function makeRunner(workload, engine) {
  const base = engine.startsWith('cpm') ? 'cpm' : engine;
  const text = readFileSync(join(workload.dir, FILES[base]), 'utf8');
  if (base === 'cpm') {
    const cpm = await import('../../../js/node.js');
    const built = await cpm.build([{ path: 'cpm.yaml', text }]);
    if (built.type !== 'success') {
      throw new Error(`cpm build of ${workload.workload} failed: ${JSON.stringify(built.errors)}`);
    }
    const e = await cpm.Engine.load(built.bundle);
    const name = workload.cpm.decision;
    const opts = { explain: false };
    if (engine === 'cpm') return { eval: (input) => e.decide(name, input, opts).output };
    if (engine === 'cpm-json-string') {
      // Input already JSON text, answer left as JSON text: the boundary cost alone.
      return {
        eval: (input) => e.decideJson(name, input, opts),
        prepare: (input) => JSON.stringify(input),
        check: (answer) => JSON.parse(answer).output,
      };
    }
    // Object in, object out, through the string entry point: stringify + decideJson + parse.
    return { eval: (input) => JSON.parse(e.decideJson(name, JSON.stringify(input), opts)).output };
  }
  if (engine === 'zen') {
    const { ZenEngine } = await import('@gorules/zen-engine');
    const decision = new ZenEngine().createDecision(JSON.parse(text));
    return { eval: async (input) => (await decision.evaluate(input)).result };
  }
  if (engine === 'json-rules-engine') {
    const { Engine } = await import('json-rules-engine');
    const e = new Engine(JSON.parse(text), { allowUndefinedFacts: true });
    // Rules carry priorities in table order: the first event is the FIRST hit.
    return {
      eval: async (input) => {
        const { events } = await e.run(input);
        return events.length > 0 ? events[0].params : null;
      },
    };
  }
  if (engine === 'json-logic') {
    const jsonLogic = (await import('json-logic-js')).default;
    const logic = JSON.parse(text);
    return { eval: (input) => jsonLogic.apply(logic, input) };
  }
  throw new Error(`unknown engine ${engine}`);
}

// Deep equality with numbers equal within 1e-9 relative (the JS engines compute in floats).
function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
}

async function verify(workload, engine, runner) {
  for (const [i, c] of workload.cases.entries()) {
    const input = runner.prepare ? runner.prepare(c.input) : c.input;
    let got = await runner.eval(input);
    if (runner.check) got = runner.check(got);
    if (!same(got, c.expected)) {
      throw new Error(
        `${engine} answers ${workload.workload} case ${i} with ${JSON.stringify(got)}, expected ${JSON.stringify(c.expected)}`,
      );
    }
  }
}

function expressible(workload, engine) {
  const base = engine.startsWith('cpm') ? 'cpm' : engine;
  return !(workload.notExpressible && workload.notExpressible[base]);
}

async function child(name, engine, n) {
  const workload = loadWorkload(name);
  const runner = await makeRunner(workload, engine);
  await verify(workload, engine, runner);
  const inputs = workload.cases.map((c) => (runner.prepare ? runner.prepare(c.input) : c.input));
  const isAsync = engine === 'zen' || engine === 'json-rules-engine';
  let sink = 0;
  const warmEnd = performance.now() + 1000;
  for (let i = 0; i < n / 10 && performance.now() < warmEnd; i += 1) {
    const out = isAsync ? await runner.eval(inputs[i % inputs.length]) : runner.eval(inputs[i % inputs.length]);
    if (out) sink += 1;
  }
  const times = new Float64Array(n);
  let count = 0;
  const capNs = 5_000_000_000n;
  const start = process.hrtime.bigint();
  while (count < n && process.hrtime.bigint() - start < capNs) {
    const input = inputs[count % inputs.length];
    const t = process.hrtime.bigint();
    const out = isAsync ? await runner.eval(input) : runner.eval(input);
    times[count] = Number(process.hrtime.bigint() - t);
    if (out) sink += 1;
    count += 1;
  }
  const total = Number(process.hrtime.bigint() - start);
  const sorted = Array.from(times.subarray(0, count)).sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * q) / 100))];
  // Throughput: batches of ~1 ms of evaluations (at most 200 batches or 3 s); the median
  // batch's rate, so that a few preemptions on a shared machine do not decide the figure.
  const batch = Math.max(1, Math.round(1e6 / Math.max(1, at(50))));
  const rates = [];
  const batchEnd = performance.now() + 3000;
  for (let b = 0; b < 200 && performance.now() < batchEnd; b += 1) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < batch; i += 1) {
      const input = inputs[(b * batch + i) % inputs.length];
      const out = isAsync ? await runner.eval(input) : runner.eval(input);
      if (out) sink += 1;
    }
    rates.push((batch * 1e9) / Number(process.hrtime.bigint() - t));
  }
  rates.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      workload: name,
      engine,
      evaluations: count,
      evalsPerSec: Math.round(rates[Math.floor(rates.length / 2)]),
      loopEvalsPerSec: Math.round((count * 1e9) / total),
      batches: rates.length,
      p50Ns: at(50),
      p99Ns: at(99),
      maxNs: sorted[sorted.length - 1],
      peakRssKib: process.resourceUsage().maxRSS,
      sink: sink > 0,
    })}\n`,
  );
}

function versions() {
  const pkg = (p) => JSON.parse(readFileSync(join(here, 'node_modules', p, 'package.json'), 'utf8')).version;
  return {
    node: process.version,
    '@gorules/zen-engine': pkg('@gorules/zen-engine'),
    'json-rules-engine': pkg('json-rules-engine'),
    'json-logic-js': pkg('json-logic-js'),
    '@cpm/engine': JSON.parse(readFileSync(join(here, '..', '..', '..', 'js', 'package.json'), 'utf8')).version,
  };
}

async function parent(out, n) {
  // 1. Every engine's answers first, in this process: fail loudly before timing anything.
  for (const name of WORKLOADS) {
    const workload = loadWorkload(name);
    for (const engine of [...ENGINES, ...BOUNDARY.slice(1)]) {
      if (!expressible(workload, engine)) continue;
      if (BOUNDARY.includes(engine) && engine !== 'cpm' && name !== 'small-table' && name !== 'expressions') continue;
      await verify(workload, engine, await makeRunner(workload, engine));
      console.error(`ok: ${engine} answers all ${workload.cases.length} cases of ${name}`);
    }
  }
  // 2. Node alone, for the memory baseline.
  const baseline = Number(
    execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))']),
  );
  // 3. One child per workload × engine.
  const results = [];
  const notExpressible = [];
  const runOne = (name, engine) => {
    console.error(`measuring ${engine} on ${name} …`);
    const line = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', name, engine, String(n)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    results.push(JSON.parse(line.trim().split('\n').pop()));
  };
  for (const name of WORKLOADS) {
    const workload = loadWorkload(name);
    for (const engine of ENGINES) {
      if (expressible(workload, engine)) runOne(name, engine);
      else notExpressible.push({ workload: name, engine, reason: workload.notExpressible[engine] });
    }
  }
  const boundary = [];
  for (const name of ['small-table', 'expressions']) {
    for (const engine of BOUNDARY.slice(1)) {
      runOne(name, engine);
      boundary.push(results.pop());
    }
  }
  const report = { versions: versions(), evaluations: n, nodeBaselineRssKib: baseline, results, boundary, notExpressible };
  writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
  console.error(`wrote ${out}`);
}

const args = process.argv.slice(2);
try {
  if (args[0] === '--child') {
    await child(args[1], args[2], Number(args[3]));
  } else {
    const opt = (flag, dflt) => {
      const i = args.indexOf(flag);
      return i >= 0 ? args[i + 1] : dflt;
    };
    await parent(opt('--out', join(here, 'results-node.json')), Number(opt('--evaluations', '20000')));
  }
} catch (e) {
  console.error(`bench.mjs: ${e.message}`);
  process.exit(1);
}
