// The decisions-only entry `@cpm/engine/decide` in Node: every shared decision vector gives
// the expected canonical answer and the same text as the whole engine, byte for byte; its
// errors are the documented `CpmError` objects, field for field those of `@cpm/engine`; and
// it carries none of the whole engine's other operations.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import * as full from '@cpm/engine';
import * as lean from '@cpm/engine/decide';

import { modelFiles, repoRoot, vectorFiles } from './helpers.js';
import { decideErrorCalls, errorFields } from './decide-errors.js';
import { isDecisionVector, runVectorFile } from './vectors-runner.js';

test('shared decision vectors pass with the decide entry, byte for byte as the whole engine', async (t) => {
  const files = vectorFiles().filter(isDecisionVector);
  assert.ok(files.length > 0, 'no decision vector files');
  let cases = 0;
  const failures = [];
  for (const file of files) {
    // Bundles are built by the whole engine (the decide entry has no compiler); the node
    // test of the whole engine checks they equal the native ones.
    const result = await runVectorFile({ build: full.build, Engine: lean.Engine, Reference: full.Engine }, file);
    cases += result.cases;
    failures.push(...result.failures);
  }
  t.diagnostic(`vectors (node, decide entry): ${files.length} files, ${cases} cases, ${failures.length} failures`);
  assert.deepEqual(failures, []);
  assert.ok(cases >= 150, `only ${cases} vector cases`);
});

/** What `f` returns, or the fields of what it throws. */
function outcome(f) {
  try {
    return { answer: f() };
  } catch (e) {
    return { thrown: { name: e.name, message: e.message, code: e.code, path: e.path, errors: e.errors } };
  }
}

/** The example rules' bundle, built by the whole engine. */
async function customerBundle() {
  const built = await full.build(modelFiles(join(repoRoot, 'examples', 'customer')));
  assert.equal(built.type, 'success', JSON.stringify(built.errors));
  return built.bundle;
}

test('the decide entry answers decide, decisions and bundleHash as the whole engine', async () => {
  const bundle = await customerBundle();
  const [a, b] = [await lean.Engine.load(bundle), await full.Engine.load(bundle)];
  assert.equal(a.bundleHash, b.bundleHash);
  assert.deepEqual(a.decisions(), b.decisions());
  const inputs = [
    { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' },
    { 'Customer Tier': 'silver', 'Order Total': 0.1 + 0.2, Country: 'es', 'Sales Channel': 'online' },
    { 'Customer Tier': 'standard', 'Order Total': 1e21, Country: new Date(0), 'Sales Channel': 'store' },
  ];
  // The third input fails (a Date is not a string): both builds throw the same error.
  assert.equal(outcome(() => a.decide('Discount', inputs[2])).thrown?.code, 'input-type');
  for (const input of inputs) {
    for (const explain of [true, false]) {
      assert.deepEqual(outcome(() => a.decide('Discount', input, { explain })), outcome(() => b.decide('Discount', input, { explain })));
      const json = JSON.stringify(input);
      assert.equal(a.decideJson('Discount', json, { explain }), b.decideJson('Discount', json, { explain }));
    }
  }
  assert.deepEqual(await lean.limits(), await full.limits());
  a.free();
  b.free();
});

test('decide entry errors are the documented CpmError objects, as the whole engine gives them', async () => {
  const bundle = await customerBundle();
  const leanErrors = await errorFields(lean.Engine, bundle);
  const fullErrors = await errorFields(full.Engine, bundle);
  assert.deepEqual(leanErrors, fullErrors);
  assert.deepEqual(Object.keys(leanErrors), [...Object.keys(decideErrorCalls), 'badBundle']);
  const { unknown, inputType, malformed, malformedJson, badBundle } = leanErrors;
  assert.deepEqual(
    { isError: unknown.isError, name: unknown.name, code: unknown.code, path: unknown.path },
    { isError: true, name: 'CpmError', code: 'unknown-decision', path: null },
  );
  assert.match(unknown.detail, /^unknown decision `Nope`; the bundle has /);
  assert.equal(unknown.message, unknown.detail);
  assert.deepEqual(unknown.errors, ['unknown-decision']);
  assert.equal(inputType.code, 'input-type');
  assert.equal(inputType.path, 'Order Total');
  assert.equal(inputType.detail, 'input `Order Total` must be a number, found string `a lot`');
  assert.equal(malformed.code, 'malformed-request');
  assert.match(malformed.detail, /^the input is not JSON data: /);
  assert.equal(malformedJson.type, 'failure');
  assert.equal(malformedJson.code, 'malformed-request');
  assert.match(malformedJson.message, /^the input is not valid JSON: /);
  assert.equal(badBundle.code, 'bad-bundle');
  assert.match(badBundle.detail, /^not a cpm bundle/);
});

test('the decide entry has only the decision operations', async () => {
  assert.deepEqual(Object.keys(lean).sort(), [
    'Engine',
    'init',
    'limits',
    'loadZoneData',
    'setDefaultWasmSource',
    'setDefaultZoneDataSource',
  ]);
  const engine = await lean.Engine.load(await customerBundle());
  for (const op of ['intake', 'startCase', 'apply', 'replay', 'tasks', 'kpis', 'processJson', 'runTests']) {
    assert.equal(engine[op], undefined, op);
  }
  engine.free();
});
