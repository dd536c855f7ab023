// Every limit of the package, just inside and just past it, with the typed error it gives
// (`err.code`, `err.path`). Shared by the Node test (limits.test.js) and the Chromium test
// (through test/browser.html), so both run exactly the same checks. No Node APIs here.
//
// runLimits({ build, Engine, limits }) → { results: [{ limit, inside, past, code }], failures }

/** The rules behind every limit (as tests/edge/limits.rs). */
const MODEL = `
model: limits
inputs:
  - { name: N, type: number }
  - { name: Data }
  - { name: Text, type: string }
knowledge:
  - name: depth
    params: [{ name: n, type: number }]
    expression: if n = 0 then 0 else 1 + depth(n - 1)
decisions:
  - { name: Count, expression: count(Data) }
  - { name: Length, expression: string length(Text) }
  - { name: Range, expression: count(for i in 1..N return i) }
  - { name: Work, expression: 'sum(for i in 1..N return count(for j in 1..50000 return j))' }
  - { name: Recursion, expression: depth(N) }
`;

const PROCESS = `
process: echo
data:
  - { name: Text, type: string }
steps:
  - id: tell
    send: { template: echo, to: '"someone@example.com"' }
    next: done
  - { id: done, end: { outcome: done } }
`;

const TEMPLATE = "template: echo\nsubject: 'echo'\nbody: '{{ data.Text }}'\n";

const LIMIT_KEYS = [
  'inputDepth',
  'inputStringBytes',
  'inputListItems',
  'evaluationFuel',
  'evaluationDepth',
  'evaluationListItems',
  'expressionNesting',
  'templateOutputBytes',
  'processStepsPerEvent',
];

/** What `f()` gives: `{ ok: value }` or `{ error }` (the thrown value). */
function attempt(f) {
  try {
    return { ok: f() };
  } catch (error) {
    return { error };
  }
}

/** The largest n in low..high with ok(n), given ok(low) and not ok(high). */
async function lastOk(low, high, ok) {
  if (!(await ok(low)) || (await ok(high))) throw new Error(`the boundary is not within ${low}..${high}`);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await ok(mid)) low = mid;
    else high = mid;
  }
  return low;
}

function nestedArrays(levels) {
  let data = 1;
  for (let i = 0; i < levels; i += 1) data = [data];
  return data;
}

export async function runLimits({ build, Engine, limits }) {
  const results = [];
  const failures = [];
  const check = (limit, condition, message) => {
    if (!condition) failures.push(`${limit}: ${message}`);
  };
  /**
   * Records one limit: `inside` must succeed with `expected` output (when given), `past`
   * must throw a CpmError with `code` (and `path`, when given).
   */
  const boundary = (limit, inside, past, { code, path, expected }) => {
    const good = attempt(inside);
    check(limit, !('error' in good), `inside the limit it failed: ${good.error?.code} ${good.error?.message}`);
    if (expected !== undefined && !('error' in good)) {
      check(limit, JSON.stringify(good.ok) === JSON.stringify(expected), `inside: ${JSON.stringify(good.ok)?.slice(0, 200)}, expected ${JSON.stringify(expected)}`);
    }
    const bad = attempt(past);
    const e = bad.error;
    check(limit, e instanceof Error && e.name === 'CpmError', `past the limit: ${'error' in bad ? String(e) : 'no error'}`);
    check(limit, e?.code === code, `past the limit: code ${e?.code}, expected ${code} (${e?.message})`);
    check(limit, typeof e?.detail === 'string' && e.detail === e.message, 'detail and message differ');
    if (path !== undefined) check(limit, e?.path === path, `path ${e?.path}, expected ${path}`);
    results.push({ limit, inside: 'error' in good ? 'error' : 'ok', past: e?.code ?? 'none', code });
  };

  const l = await limits();
  for (const key of LIMIT_KEYS) check('limits()', Number.isInteger(l[key]) && l[key] > 0, `\`${key}\` is ${l[key]}`);

  const built = await build([
    { path: 'limits.yaml', text: MODEL },
    { path: 'echo.yaml', text: PROCESS },
    { path: 'echo-template.yaml', text: TEMPLATE },
  ]);
  if (built.type !== 'success') return { results, failures: [`the limit rules do not build: ${JSON.stringify(built.errors)}`] };
  const engine = await Engine.load(built.bundle);
  const output = (name, input) => engine.decide(name, input, { explain: false }).output;

  // Input nesting: the input object is one level.
  boundary('input-depth', () => output('Count', { Data: nestedArrays(l.inputDepth - 1) }), () => output('Count', { Data: nestedArrays(l.inputDepth) }), {
    code: 'input-too-large',
    path: `Data${'[0]'.repeat(l.inputDepth - 1)}`,
    expected: 1,
  });
  // The same through JSON text.
  const viaText = (levels) => JSON.parse(engine.decideJson('Count', JSON.stringify({ Data: nestedArrays(levels) }), { explain: false }));
  check('input-depth (JSON text)', viaText(l.inputDepth - 1).type === 'success', 'inside the limit it failed');
  check('input-depth (JSON text)', viaText(l.inputDepth).errors?.[0]?.code === 'input-too-large', JSON.stringify(viaText(l.inputDepth).errors));
  // Cyclic and absurdly deep JS values stop in the reader.
  const cyclic = { a: {} };
  cyclic.a.b = cyclic;
  const deep = attempt(() => output('Count', { Data: cyclic }));
  check('input-depth (cyclic)', deep.error?.code === 'malformed-request', `code ${deep.error?.code}`);

  // Strings, in UTF-8 bytes (é is two).
  const text = `é${'a'.repeat(l.inputStringBytes - 2)}`;
  boundary('string-bytes', () => output('Length', { Text: text }), () => output('Length', { Text: `${text}a` }), {
    code: 'input-too-large',
    path: 'Text',
    expected: l.inputStringBytes - 1,
  });

  boundary('list-items', () => output('Count', { Data: new Array(l.inputListItems).fill(0) }), () => output('Count', { Data: new Array(l.inputListItems + 1).fill(0) }), {
    code: 'input-too-large',
    path: 'Data',
    expected: l.inputListItems,
  });

  boundary('evaluation-list-items', () => output('Range', { N: l.evaluationListItems }), () => output('Range', { N: l.evaluationListItems + 1 }), {
    code: 'too-large',
    expected: l.evaluationListItems,
  });

  const fits = (name) => async (n) => !('error' in attempt(() => output(name, { N: n })));
  const work = await lastOk(1, 1000, fits('Work'));
  boundary('evaluation-fuel', () => output('Work', { N: work }), () => output('Work', { N: work + 1 }), { code: 'fuel-exhausted' });

  const depth = await lastOk(0, 100000, fits('Recursion'));
  boundary('recursion-depth', () => output('Recursion', { N: depth }), () => output('Recursion', { N: depth + 1 }), {
    code: 'depth-exceeded',
    expected: depth,
  });

  // Expressions: the deepest that builds evaluates; one level more is a build error.
  const nested = (n) => `${'('.repeat(n)}N${' + 1)'.repeat(n)}`;
  const model = (n) => [{ path: 'deep.yaml', text: `model: deep\ninputs:\n  - { name: N, type: number }\ndecisions:\n  - name: D\n    expression: '${nested(n)}'\n` }];
  const deepest = await lastOk(1, 1000, async (n) => (await build(model(n))).type === 'success');
  const tooDeep = await build(model(deepest + 1));
  const diagnostic = tooDeep.errors?.[0];
  check('expression-nesting', diagnostic?.code === 'feel-syntax' && /nests deeper/.test(diagnostic?.message), JSON.stringify(diagnostic));
  const deepEngine = await Engine.load((await build(model(deepest))).bundle);
  const deepOut = attempt(() => deepEngine.decide('D', { N: 0 }).output);
  check('expression-nesting', deepOut.ok === deepest, `the deepest expression gave ${deepOut.ok ?? deepOut.error?.code}`);
  deepEngine.free();
  results.push({ limit: 'expression-nesting', inside: 'error' in deepOut ? 'error' : 'ok', past: diagnostic?.code ?? 'none', code: 'feel-syntax' });

  const start = (n, key) => () =>
    engine.startCase({ process: 'echo', key, now: '2026-01-01T00:00:00Z', data: { Text: 'a'.repeat(n) } }).effects.find((e) => e.type === 'send')?.body?.length;
  boundary('template-output-bytes', start(l.templateOutputBytes, 'inside'), start(l.templateOutputBytes + 1, 'past'), {
    code: 'template-error',
    expected: l.templateOutputBytes,
  });

  // The engine still answers after every failure.
  check('after the limits', output('Count', { Data: [1, 2] }) === 2, 'the engine no longer answers');
  engine.free();
  return { results, failures };
}
