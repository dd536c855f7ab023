// The package in Node: the shared vectors, bundle hashes against the native CLI, the error
// objects, and exact numbers. Run with `npm test` after `npm run build`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { Engine, build, checkFeel } from '@cpm/engine';

import { parseDocument } from 'yaml';

import { modelFiles, nativeBuild, repoRoot, vectorFiles, vectorSources } from './helpers.js';
import { runVectorFile } from './vectors-runner.js';

const files = vectorFiles();

test('shared vectors pass in Node, and wasm bundles equal the native ones byte for byte', async (t) => {
  assert.ok(files.length > 0, 'no vector files');
  let cases = 0;
  let processCases = 0;
  let compared = 0;
  const failures = [];
  for (const file of files) {
    const result = await runVectorFile({ build, Engine }, file);
    cases += result.cases;
    if (file.path.split('/').includes('processes')) processCases += result.cases;
    failures.push(...result.failures);
    if (result.bundle) {
      // The CLI reads a folder's files sorted by path; build them in that order in wasm too.
      const sources = vectorSources(file, parseDocument).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const wasm = await build(sources);
      const native = nativeBuild({ files: sources });
      if (native === null) failures.push(`${file.path}: builds in wasm but not natively`);
      else {
        compared += 1;
        if (native.hash !== wasm.bundleHash) {
          failures.push(`${file.path}: bundle hash ${wasm.bundleHash} in wasm, ${native.hash} natively`);
        } else if (Buffer.compare(Buffer.from(native.bytes), Buffer.from(wasm.bundle)) !== 0) {
          failures.push(`${file.path}: bundle bytes differ from the native build`);
        }
      }
    }
  }
  const line = `vectors (node): ${files.length} files, ${cases} cases (${processCases} process cases), ${compared} bundles compared with native, ${failures.length} failures`;
  t.diagnostic(line);
  assert.deepEqual(failures, []);
  assert.ok(cases >= 150, `only ${cases} vector cases`);
  if (!process.env.CPM_VECTORS_DIR) assert.ok(processCases >= 40, `only ${processCases} process cases`);
});

/** An engine for the example rules folder, built in wasm. */
async function customerEngine() {
  const built = await build(modelFiles(join(repoRoot, 'examples', 'customer')));
  assert.equal(built.type, 'success', JSON.stringify(built.errors));
  return Engine.load(built.bundle);
}

test('the example rules build to the same bundle in wasm as with `cpm build`', async () => {
  const dir = join(repoRoot, 'examples', 'customer');
  const wasm = await build(modelFiles(dir));
  const native = nativeBuild({ dir });
  assert.equal(wasm.type, 'success');
  assert.ok(native);
  assert.equal(wasm.bundleHash, native.hash);
  assert.deepEqual(wasm.bundle, native.bytes);
});

test('decide returns the answer object; decideJson the canonical text', async () => {
  const engine = await customerEngine();
  const input = { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' };
  const answer = engine.decide('Discount', input);
  assert.equal(answer.type, 'success');
  assert.equal(answer.bundleHash, engine.bundleHash);
  assert.deepEqual(answer.output, { discount: 0.15, reason: 'Gold tier, order of 500 or more' });
  assert.deepEqual(answer.explanation.decisions[0].fired, [{ index: 2, id: 'gold-large' }]);
  assert.equal(engine.decide('Discount', input, { explain: false }).explanation, undefined);
  assert.equal(engine.decide('Discount', input, { explain: undefined }).explanation.decisions.length, 1);
  const text = engine.decideJson('Discount', JSON.stringify(input), { explain: false });
  assert.equal(
    text,
    `{"bundleHash":"${engine.bundleHash}","decision":"Discount","output":{"discount":0.15,"reason":"Gold tier, order of 500 or more"},"type":"success"}`,
  );
  assert.deepEqual(JSON.parse(text).output, engine.decide('Discount', input).output);
  const list = engine.decisions();
  assert.equal(list.bundleHash, engine.bundleHash);
  const discount = list.decisions.find((d) => d.name === 'Discount');
  assert.equal(discount.kind, 'table');
  assert.equal(discount.inputs.length, 4);
  engine.free();
});

test('JS numbers become the decimal their shortest text denotes', async () => {
  const built = await build([
    {
      path: 'n.yaml',
      text: [
        'model: numbers',
        'inputs:',
        '  - { name: X, type: number }',
        'decisions:',
        '  - { name: Triple, expression: X * 3 }',
        '  - { name: Text, expression: string(X) }',
        '',
      ].join('\n'),
    },
  ]);
  assert.equal(built.type, 'success', JSON.stringify(built.errors));
  const engine = await Engine.load(built.bundle);
  const text = (x) => engine.decide('Text', { X: x }).output;
  const tripleJson = (json) => JSON.parse(engine.decideJson('Triple', json, { explain: false })).output;
  assert.equal(text(0.1), '0.1');
  assert.equal(text(-0), '0');
  assert.equal(text(620), '620');
  assert.equal(text(1e21), '1000000000000000000000');
  assert.equal(text(1e-7), '0.0000001');
  assert.equal(text(0.1 + 0.2), '0.30000000000000004');
  assert.equal(text(123456789012n), '123456789012');
  // 0.1 * 3 is exactly 0.3 in decimal arithmetic (in doubles it is 0.30000000000000004).
  assert.equal(engine.decideJson('Triple', '{"X":0.1}', { explain: false }).includes('"output":0.3,'), true);
  assert.equal(engine.decide('Triple', { X: 0.1 }).output, 0.3);
  // More than 15 significant digits: exact only as JSON text.
  assert.equal(
    engine.decideJson('Text', '{"X":0.12345678901234567890123}', { explain: false }).includes('"output":"0.12345678901234567890123"'),
    true,
  );
  assert.equal(tripleJson('{"X":1.5}'), 4.5);
  engine.free();
});

test('plain JSON input (sent as text) and other objects (sent property by property) answer alike', async () => {
  const engine = await customerEngine();
  // A class instance has the same own properties but takes the general path.
  class Record {}
  const asInstance = (o) => Object.assign(new Record(), o);
  const inputs = [
    { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' },
    { 'Customer Tier': 'silver', 'Order Total': 499.99, Country: 'FR', 'Sales Channel': 'store' },
    { 'Customer Tier': 'standard', 'Order Total': 100, Country: 'NL', 'Sales Channel': 'online' },
    { 'Customer Tier': 'standard', 'Order Total': 0.1 + 0.2, Country: 'ES', 'Sales Channel': 'phone' },
    { 'Customer Tier': 'gold', 'Order Total': -0, Country: 'IT', 'Sales Channel': 'staff portal' },
    { 'Customer Tier': 'gold', 'Order Total': 1e21, Country: 'BE', 'Sales Channel': 'online' },
    { 'Customer Tier': 'caf\u00e9 \u{1F600}', 'Order Total': 5e-7, Country: 'DE', 'Sales Channel': 'online' },
  ];
  for (const input of inputs) {
    for (const explain of [false, true]) {
      assert.deepEqual(
        engine.decide('Discount', input, { explain }),
        engine.decide('Discount', asInstance(input), { explain }),
        JSON.stringify(input),
      );
      // The same keys in the same order as the whole answer's text parses to (the fast
      // path puts `bundleHash` and `decision` before the body the wasm answers with).
      const parsed = JSON.stringify(JSON.parse(engine.decideJson('Discount', JSON.stringify(input), { explain })));
      assert.equal(JSON.stringify(engine.decide('Discount', input, { explain })), parsed);
      assert.equal(JSON.stringify(engine.decide('Discount', asInstance(input), { explain })), parsed);
    }
  }
  // `undefined` properties are null on both paths (JSON.stringify would drop them).
  const missing = { 'Customer Tier': undefined, 'Order Total': 5, Country: 'DE', 'Sales Channel': 'online' };
  assert.deepEqual(
    engine.decide('Discount', missing, { explain: true }),
    engine.decide('Discount', { ...missing, 'Customer Tier': null }, { explain: true }),
  );
  // A Date is an object without own properties on both paths (JSON.stringify would write
  // its ISO text), so a string input given a Date is a type error, not a date string.
  const dated = thrown(() => engine.decide('Discount', { ...missing, 'Customer Tier': new Date(0) }));
  assert.equal(dated.code, 'input-type');
  // A lone surrogate is replaced on both paths (JSON.stringify would escape it).
  const lone = { 'Customer Tier': 'a\ud800', 'Order Total': 5, Country: 'DE', 'Sales Channel': 'online' };
  assert.deepEqual(engine.decide('Discount', lone), engine.decide('Discount', asInstance(lone)));
  engine.free();
});

test('the fast path reads options and raises errors as the general path does', async () => {
  const engine = await customerEngine();
  class Record {}
  const input = { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' };
  const instance = Object.assign(new Record(), input);
  // Options the package reads itself, and what the general path reads from them.
  for (const options of [undefined, null, {}, { explain: undefined }, { explain: true }, { explain: false }]) {
    assert.deepEqual(engine.decide('Discount', input, options), engine.decide('Discount', instance, options));
  }
  assert.equal(engine.decide('Discount', input, { explain: false }).explanation, undefined);
  assert.ok(engine.decide('Discount', input).explanation);
  // Options that are not `{ explain?: boolean }` go to the general path and its error.
  for (const options of [{ explain: 'yes' }, { verbose: true }, 'explain']) {
    const error = thrown(() => engine.decide('Discount', input, options));
    assert.equal(error.code, 'malformed-request', JSON.stringify(options));
  }
  // Errors raised on the fast path are the general path's, field for field.
  const failing = [
    ['Nope', input],
    ['Discount', { ...input, 'Order Total': 'a lot' }],
    ['Discount', { ...input, 'Order Total': 'x'.repeat(300 * 1024) }],
  ];
  for (const [name, data] of failing) {
    const fast = thrown(() => engine.decide(name, data, { explain: false }));
    const general = thrown(() => engine.decide(name, Object.assign(new Record(), data), { explain: false }));
    assert.equal(fast.name, 'CpmError');
    for (const field of ['code', 'detail', 'path', 'help', 'message']) {
      assert.equal(fast[field], general[field], `${name} ${field}`);
    }
    assert.deepEqual(fast.errors, general.errors);
  }
  engine.free();
});

test('JS numbers read as the same decimal on the fast and the general path, ties included', async () => {
  const text = 'model: n\ninputs:\n  - { name: x, type: number }\ndecisions:\n  - name: Text\n    expression: string(x)\n';
  const built = await build([{ path: 'n.yaml', text }]);
  assert.equal(built.type, 'success');
  const engine = await Engine.load(built.bundle);
  class Record {}
  for (const x of [0.1, 1e21, 1.5e-8, -2.5, 2 ** 53 + 2, 1125899906842624.25]) {
    const fast = engine.decide('Text', { x }, { explain: false });
    const general = engine.decide('Text', Object.assign(new Record(), { x }), { explain: false });
    assert.deepEqual(fast, general, String(x));
  }
  // Two shortest texts are equally near 1125899906842624.25: both paths take the even one,
  // as `String(x)` does.
  assert.equal(String(1125899906842624.25), '1125899906842624.2');
  assert.equal(engine.decide('Text', Object.assign(new Record(), { x: 1125899906842624.25 })).output, '1125899906842624.2');
  engine.free();
});

/** Calls `f` and returns what it threw. */
function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

test('failures are Error objects with code, detail and path', async () => {
  const engine = await customerEngine();
  const good = { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' };

  const unknown = thrown(() => engine.decide('Nope', good));
  assert.ok(unknown instanceof Error);
  assert.equal(unknown.name, 'CpmError');
  assert.equal(unknown.code, 'unknown-decision');
  assert.match(unknown.detail, /^unknown decision `Nope`; the bundle has /);
  assert.equal(unknown.message, unknown.detail);
  assert.equal(unknown.path, undefined);
  assert.deepEqual(unknown.errors.map((e) => e.code), ['unknown-decision']);

  const wrongType = thrown(() => engine.decide('Discount', { ...good, 'Order Total': 'a lot' }));
  assert.equal(wrongType.code, 'input-type');
  assert.equal(wrongType.path, 'Order Total');
  assert.match(wrongType.detail, /^input `Order Total` must be a number, found string `a lot`$/);

  assert.equal(thrown(() => engine.decide('Discount', [1, 2])).code, 'invalid-input');
  for (const bad of [{ 'Order Total': Number.NaN }, { 'Order Total': Infinity }, { 'Order Total': 2n ** 70n }]) {
    const e = thrown(() => engine.decide('Discount', bad));
    assert.equal(e.code, 'malformed-request', e.message);
    assert.match(e.detail, /^the input is not JSON data: /);
  }
  const cyclic = { a: {} };
  cyclic.a.b = cyclic;
  const deep = thrown(() => engine.decide('Discount', cyclic));
  assert.equal(deep.code, 'malformed-request');
  assert.match(deep.detail, /nests deeper than 128 levels/);
  assert.equal(thrown(() => engine.decide('Discount', good, { explian: true })).code, 'malformed-request');
  // The engine still answers after every failure.
  assert.equal(engine.decide('Discount', good).output.discount, 0.15);

  const malformed = JSON.parse(engine.decideJson('Discount', '{"Order Total": 1,'));
  assert.equal(malformed.type, 'failure');
  assert.equal(malformed.errors[0].code, 'malformed-request');
  assert.match(malformed.errors[0].message, /^the input is not valid JSON: /);
  const unknownJson = JSON.parse(engine.decideJson('Nope', '{}'));
  assert.deepEqual(unknownJson.errors.map((e) => e.code), ['unknown-decision']);

  const notBundle = await Engine.load(new TextEncoder().encode('not a bundle')).then(
    () => assert.fail('loaded garbage'),
    (e) => e,
  );
  assert.equal(notBundle.code, 'bad-bundle');
  assert.match(notBundle.detail, /^not a cpm bundle/);

  const badFiles = await build([{ path: 'x.yaml' }]).then(
    () => assert.fail('built without text'),
    (e) => e,
  );
  assert.equal(badFiles.code, 'malformed-request');
  engine.free();
});

test('build reports diagnostics as data', async () => {
  const built = await build([{ path: 'bad.yaml', text: 'model: m\ndecisions:\n  - { name: D, expression: Missing + 1 }\n' }]);
  assert.equal(built.type, 'failure');
  assert.equal(built.errors[0].code, 'unknown-name');
  assert.equal(built.errors[0].severity, 'error');
  assert.equal(built.errors[0].location.file, 'bad.yaml');
  assert.equal(built.errors[0].location.line, 3);
});

test('process operations take and give objects; data problems throw one error per field', async () => {
  const engine = await customerEngine();
  const events = JSON.parse(readFileSync(join(repoRoot, 'examples', 'customer', 'complaint.events.json'), 'utf8'));
  const [started, claimed, completed] = events;
  const start = engine.startCase({ process: 'complaint', key: started.key, now: started.at, data: started.data });
  assert.equal(start.type, 'success');
  assert.ok(Array.isArray(start.effects));
  let state = start.case;
  for (const event of [claimed, completed]) {
    const applied = engine.apply(state, event, event.at);
    assert.equal(applied.applied, true);
    state = applied.case;
  }
  const again = engine.apply(state, claimed, claimed.at);
  assert.equal(again.applied, false, 'the same idempotency key applies once');
  const replayed = engine.replay(state.events).case;
  const { sla: _a, ...replayedRest } = replayed;
  const { sla: _b, ...stateRest } = state;
  assert.deepEqual(replayedRest, stateRest);
  // The same through JSON text gives the canonical answer the object was parsed from.
  const text = engine.processJson('replay', JSON.stringify({ events: state.events }));
  assert.deepEqual(JSON.parse(text), engine.replay(state.events));
  assert.equal(engine.tasks([state], { now: completed.at }).type, 'success');
  assert.ok(Array.isArray(engine.kpis([state], completed.at).processes));

  const { 'Customer Email': _email, ...withoutEmail } = started.data;
  const bad = thrown(() =>
    engine.startCase({ process: 'complaint', key: 'k-2', now: started.at, data: { ...withoutEmail, 'Customer Tier': 'bronze' } }),
  );
  assert.equal(bad.name, 'CpmError');
  const byPath = Object.fromEntries(bad.errors.map((e) => [e.path, e.code]));
  assert.equal(byPath['Customer Email'], 'missing-field');
  assert.equal(byPath['Customer Tier'], 'invalid-field');
  assert.equal(bad.code, bad.errors[0].code);
  assert.equal(bad.path, bad.errors[0].path);
  assert.equal(thrown(() => engine.apply(state, { type: 'nonsense' }, completed.at)).name, 'CpmError');
  assert.throws(() => engine.processJson('launch', '{}'), TypeError);
  engine.free();
});

test('runTests reports every recorded test case with inputs, expected and actual values', async () => {
  const engine = await customerEngine();
  const report = engine.runTests();
  assert.equal(report.bundleHash, engine.bundleHash);
  assert.equal(report.failed, 0);
  assert.equal(report.passed, report.tests.length);
  assert.ok(report.tests.length >= 12, `only ${report.tests.length} test cases`);
  const large = report.tests.find((t) => t.test === 'a large gold order');
  assert.equal(large.model, 'customer-discount');
  assert.deepEqual(large.input, { 'Customer Tier': 'gold', 'Order Total': 620, Country: 'DE', 'Sales Channel': 'online' });
  assert.deepEqual(large.checks[0], {
    decision: 'Discount',
    expected: { discount: 0.15, reason: 'Gold tier, order of 500 or more' },
    actual: { discount: 0.15, reason: 'Gold tier, order of 500 or more' },
    passed: true,
  });
  engine.free();

  // A rule changed so that a recorded case fails: the check shows both values.
  const files = modelFiles(join(repoRoot, 'examples', 'customer')).map((f) =>
    f.path === 'discount.yaml' ? { ...f, text: f.text.replace("then: ['0.15',", "then: ['0.12',") } : f,
  );
  const built = await build(files);
  assert.equal(built.type, 'success', JSON.stringify(built.errors));
  const changed = await Engine.load(built.bundle);
  const after = changed.runTests();
  assert.equal(after.failed, 2);
  const failedCheck = after.tests.find((t) => t.test === 'a large gold order').checks.find((c) => c.decision === 'Discount');
  assert.equal(failedCheck.passed, false);
  assert.deepEqual(failedCheck.actual, { discount: 0.12, reason: 'Gold tier, order of 500 or more' });
  changed.free();

  // A decision error is reported as `error`, not `actual`.
  const erring = await build([
    {
      path: 'e.yaml',
      text: [
        'model: e',
        'inputs:',
        '  - { name: X, type: number }',
        'decisions:',
        '  - { name: D, expression: X + 1 }',
        'tests:',
        '  - { name: wrong type, input: { X: "a" }, expect: { D: 2 } }',
        '',
      ].join('\n'),
    },
  ]);
  assert.equal(erring.type, 'success', JSON.stringify(erring.errors));
  const e = await Engine.load(erring.bundle);
  const check = e.runTests().tests[0].checks[0];
  assert.equal(check.passed, false);
  assert.equal(check.actual, undefined);
  assert.equal(check.error.code, 'input-type');
  e.free();
});

test('checkFeel gives the syntax problem of one cell, with its column', async () => {
  await build([]);
  const names = ['Customer Tier', 'Order Total'];
  assert.deepEqual(checkFeel('>= 500', { kind: 'unary-tests', names }), []);
  assert.deepEqual(checkFeel('"DE", "FR"', { kind: 'unary-tests' }), []);
  assert.deepEqual(checkFeel('Order Total * 0.1', { kind: 'expression', names }), []);
  const [problem, ...more] = checkFeel('>= 500 +', { kind: 'unary-tests', names });
  assert.deepEqual(more, []);
  assert.equal(problem.code, 'feel-syntax');
  assert.equal(problem.line, 1);
  assert.equal(problem.column, 9);
  assert.match(problem.message, /end of the text/);
  // Without the names, a multi-word name is two names: a syntax error.
  assert.equal(checkFeel('Order Total * 0.1', { kind: 'expression' }).length, 1);
  // The same text is a problem as one kind and fine as the other.
  assert.deepEqual(checkFeel('-', { kind: 'unary-tests' }), []);
  assert.equal(checkFeel('-', { kind: 'expression' }).length, 1);
  // The message is the one the build gives for the same cell.
  const built = await build([
    {
      path: 'c.yaml',
      text: [
        'model: c',
        'inputs:',
        '  - { name: X, type: number }',
        'decisions:',
        '  - name: T',
        '    table:',
        '      inputs: [{ expression: X }]',
        '      outputs: [{ name: y }]',
        "      rules: [{ when: ['>= 500 +'], then: ['1'] }]",
        '',
      ].join('\n'),
    },
  ]);
  assert.equal(built.type, 'failure');
  assert.equal(built.errors[0].code, 'feel-syntax');
  assert.equal(built.errors[0].message, problem.message);
  const bad = thrown(() => checkFeel('1', { kind: 'sentence' }));
  assert.equal(bad.code, 'malformed-request');
});
