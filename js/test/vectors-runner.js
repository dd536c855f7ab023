// Runs one shared conformance vector file (tests/vectors/**.yaml) against the wasm package.
//
// Used by the Node test and, unchanged, inside headless Chromium (test/browser.html). It
// mirrors the native runner (crates/cpm-core/tests/vectors.rs) step for step: build the
// model, then for each case evaluate the decision and compare the canonical output text,
// the error code, and the fired rule ids. Input numbers are taken from their exact YAML
// text (never through a JS double) and passed to `decideJson` as JSON text.

import { parseDocument, isMap, isSeq, isScalar } from 'yaml';

/** JSON text for a YAML node, numbers written from their source text. */
export function yamlToJsonText(node, source) {
  if (node === null || node === undefined) return 'null';
  if (isMap(node)) {
    const parts = node.items.map(
      (pair) => `${JSON.stringify(keyText(pair.key, source))}:${yamlToJsonText(pair.value, source)}`,
    );
    return `{${parts.join(',')}}`;
  }
  if (isSeq(node)) return `[${node.items.map((item) => yamlToJsonText(item, source)).join(',')}]`;
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      // As the native runner: a YAML float keeps its text when that text is a JSON number.
      const text = source.slice(node.range[0], node.range[1]);
      return /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text) ? text : JSON.stringify(text);
    }
    return JSON.stringify(String(v));
  }
  return 'null'; // aliases: the native runner reads them as null too
}

function keyText(key, source) {
  if (isScalar(key)) {
    const v = key.value;
    if (typeof v === 'number') return source.slice(key.range[0], key.range[1]);
    if (v === null) return '';
    return String(v);
  }
  return '';
}

/**
 * The raw text of each member of a top-level JSON object (`{"a":1,"b":[2]}` →
 * `{ a: '1', b: '[2]' }`), so values are compared byte for byte, never re-serialised.
 */
export function rawMembers(text) {
  const out = {};
  let i = 1;
  if (text[0] !== '{') throw new Error(`not a JSON object: ${text.slice(0, 40)}`);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipValue(text, i);
    const key = JSON.parse(text.slice(i, keyEnd));
    if (text[keyEnd] !== ':') throw new Error(`expected \`:\` at ${keyEnd}`);
    const start = keyEnd + 1;
    const end = skipValue(text, start);
    out[key] = text.slice(start, end);
    i = text[end] === ',' ? end + 1 : end;
  }
  return out;
}

/** The index just after the compact JSON value starting at `i`. */
function skipValue(text, i) {
  let depth = 0;
  let j = i;
  do {
    const c = text[j];
    if (c === '"') {
      j += 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      j += 1;
    } else if (c === '{' || c === '[') {
      depth += 1;
      j += 1;
    } else if (c === '}' || c === ']') {
      depth -= 1;
      j += 1;
    } else if (c === ',' || c === ':') {
      j += 1;
    } else {
      while (j < text.length && !',:}]'.includes(text[j])) j += 1;
    }
    if (j >= text.length && depth > 0) throw new Error('unterminated JSON');
  } while (depth > 0);
  return j;
}

const get = (map, key) => (isMap(map) ? map.get(key, true) : undefined);
// As yaml-rust2's `as_str`: only string scalars.
const str = (node) => (isScalar(node) && typeof node.value === 'string' ? node.value : undefined);
const id = (node) => {
  if (!isScalar(node)) return '';
  if (typeof node.value === 'string') return node.value;
  return typeof node.value === 'bigint' ? node.value.toString() : '';
};

/**
 * Runs one vector file with the package API `{ build, Engine }`. Returns the number of
 * cases run, the failures (one line each), and the bundle (hash and bytes) when it built.
 */
export async function runVectorFile(api, file) {
  const { path, source } = file;
  const stem = path.split('/').pop().replace(/\.yaml$/, '');
  const doc = parseDocument(source, { intAsBigInt: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(`${path}: invalid YAML: ${doc.errors[0].message}`);
  const root = doc.contents;
  const model = str(get(root, 'model'));
  if (model === undefined) throw new Error(`${path}: no \`model\``);
  const failures = [];
  const built = await api.build([{ path: `${stem}.yaml`, text: model }]);

  const expectedErrors = get(root, 'build-errors');
  if (isSeq(expectedErrors)) {
    const want = expectedErrors.items
      .map((e) => [str(get(e, 'code')) ?? '', Number(get(e, 'line')?.value ?? 0)])
      .sort(compareErrors);
    if (built.type === 'success') {
      failures.push(`${path}: built, but errors ${JSON.stringify(want)} were expected`);
    } else {
      const got = dedup(
        built.errors.map((d) => [d.code, d.location ? d.location.line : 0]).sort(compareErrors),
      );
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        failures.push(
          `${path}: build errors differ\n      expected: ${JSON.stringify(want)}\n      actual:   ${JSON.stringify(got)}`,
        );
      }
    }
    return { cases: 1, failures, bundle: null };
  }
  const cases = get(root, 'cases');
  const caseNodes = isSeq(cases) ? cases.items : [];
  if (built.type !== 'success') {
    failures.push(`${path}: model does not build: ${JSON.stringify(built.errors.map((d) => [d.code, d.location?.line ?? 0]))}`);
    return { cases: caseNodes.length || 1, failures, bundle: null };
  }
  const engine = await api.Engine.load(built.bundle);
  try {
    for (const c of caseNodes) {
      const where = `${path} / ${str(get(c, 'name')) ?? '?'}`;
      const decision = str(get(c, 'decision'));
      if (decision === undefined) throw new Error(`${where}: case has no \`decision\``);
      const inputJson = yamlToJsonText(get(c, 'input'), source);
      const answerText = engine.decideJson(decision, inputJson);
      const answer = rawMembers(answerText);
      const wantError = str(get(c, 'error'));
      if (JSON.parse(answer.type) === 'failure') {
        const code = JSON.parse(answer.errors)[0]?.code;
        if (wantError === undefined) failures.push(`${where}: error \`${code}\``);
        else if (code !== wantError) failures.push(`${where}: error \`${code}\`, expected error \`${wantError}\``);
        continue;
      }
      if (wantError !== undefined) {
        failures.push(`${where}: output ${answer.output}, expected error \`${wantError}\``);
        continue;
      }
      const want = str(get(c, 'output'));
      if (want === undefined) throw new Error(`${where}: no \`output\` or \`error\``);
      if (answer.output !== want) {
        failures.push(`${where}:\n      expected: ${want}\n      actual:   ${answer.output}`);
      }
      const fired = get(c, 'fired');
      if (isMap(fired)) {
        const traces = JSON.parse(answer.explanation).decisions;
        for (const pair of fired.items) {
          const table = str(pair.key) ?? '';
          const wantIds = isSeq(pair.value) ? pair.value.items.map(id) : [];
          const trace = traces.find((t) => t.decision === table && Array.isArray(t.fired));
          const got = trace ? trace.fired.map((r) => r.id) : null;
          if (JSON.stringify(got) !== JSON.stringify(wantIds)) {
            failures.push(
              `${where}: fired rules of \`${table}\`: expected ${JSON.stringify(wantIds)}, actual ${JSON.stringify(got)}`,
            );
          }
        }
      }
    }
    return { cases: caseNodes.length, failures, bundle: { hash: built.bundleHash, bytes: built.bundle } };
  } finally {
    engine.free();
  }
}

function compareErrors(a, b) {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

function dedup(list) {
  return list.filter((x, i) => i === 0 || JSON.stringify(x) !== JSON.stringify(list[i - 1]));
}
