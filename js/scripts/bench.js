// Speed measurements shared by Node and Chromium (scripts/size-and-speed.mjs drives both):
// time to load a bundle, and evaluations per second for a small table (the example Discount
// table, 6 rules) and a generated 1,000-row table. Not a test: nothing is asserted.

/** A model with one UNIQUE table of `rows` rules over a number range and a region. */
export function bigTableModel(rows = 1000) {
  const lines = [
    'model: bench-big-table',
    'inputs:',
    '  - { name: Code, type: number }',
    '  - { name: Region, type: string }',
    'decisions:',
    '  - name: Price',
    '    table:',
    '      hit: UNIQUE',
    '      inputs: [{ expression: Code }, { expression: Region }]',
    '      outputs: [{ name: price, type: number }]',
    '      rules:',
  ];
  for (let i = 0; i < rows; i += 1) {
    const lo = Math.floor(i / 4) * 10;
    lines.push(`        - { id: r${i}, when: ['[${lo}..${lo + 10})', '"R${i % 4}"'], then: ['${(i * 1.25).toFixed(2)}'] }`);
  }
  return `${lines.join('\n')}\n`;
}

const SMALL_INPUTS = [
  ['gold', '620', 'DE', 'online'],
  ['gold', '80', 'FR', 'store'],
  ['silver', '150', 'ES', 'online'],
  ['silver', '150', 'ES', 'phone'],
  ['standard', '150', 'US', 'online'],
  ['standard', '99.5', 'NL', 'staff portal'],
].map(([tier, total, country, channel]) => ({
  object: { 'Customer Tier': tier, 'Order Total': Number(total), Country: country, 'Sales Channel': channel },
  json: `{"Customer Tier":"${tier}","Order Total":${total},"Country":"${country}","Sales Channel":"${channel}"}`,
}));

const BIG_INPUTS = Array.from({ length: 64 }, (_, k) => {
  const code = (k * 389) % 2500;
  const region = `R${k % 4}`;
  return { object: { Code: code, Region: region }, json: `{"Code":${code},"Region":"${region}"}` };
});

/** Evaluations per second of `f(i)` over about `ms` milliseconds. */
function rate(f, ms) {
  for (let i = 0; i < 200; i += 1) f(i); // warm up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let k = 0; k < 100; k += 1) f(n + k);
    n += 100;
    elapsed = performance.now() - start;
  }
  return Math.round((n * 1000) / elapsed);
}

/**
 * Runs every measurement with the package API; `customerFiles` are the example rules.
 * `Engine` and `init` are the entry measured; `build` compiles the bench models (the whole
 * engine's, also when the decide entry is measured, which has no compiler).
 */
export async function runBench({ Engine, build, init }, customerFiles, ms = 1000) {
  const t0 = performance.now();
  await init();
  const initMs = performance.now() - t0;

  const small = await build(customerFiles);
  const bigText = bigTableModel(1000);
  const t1 = performance.now();
  const big = await build([{ path: 'big.yaml', text: bigText }]);
  const bigBuildMs = performance.now() - t1;
  if (small.type !== 'success' || big.type !== 'success') {
    throw new Error(`bench models do not build: ${JSON.stringify([small.errors, big.errors])}`);
  }

  const loadMs = async (bytes) => {
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i += 1) (await Engine.load(bytes)).free();
    return (performance.now() - start) / runs;
  };
  const smallLoad = await loadMs(small.bundle);
  const bigLoad = await loadMs(big.bundle);
  const smallEngine = await Engine.load(small.bundle);
  const bigEngine = await Engine.load(big.bundle);

  const check = bigEngine.decideJson('Price', BIG_INPUTS[1].json, { explain: false });
  if (!check.includes('"type":"success"')) throw new Error(`big table: ${check}`);

  const measure = (engine, decision, inputs) => ({
    decideJsonNoExplain: rate((i) => engine.decideJson(decision, inputs[i % inputs.length].json, { explain: false }), ms),
    decideObjectNoExplain: rate((i) => engine.decide(decision, inputs[i % inputs.length].object, { explain: false }), ms),
    decideObjectExplain: rate((i) => engine.decide(decision, inputs[i % inputs.length].object), ms),
  });
  const result = {
    initMs,
    small: { bundleBytes: small.bundle.length, loadMs: smallLoad, ...measure(smallEngine, 'Discount', SMALL_INPUTS) },
    big: {
      rows: 1000,
      bundleBytes: big.bundle.length,
      buildMs: bigBuildMs,
      loadMs: bigLoad,
      ...measure(bigEngine, 'Price', BIG_INPUTS),
    },
  };
  smallEngine.free();
  bigEngine.free();
  return result;
}
