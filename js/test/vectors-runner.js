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

/** Whether a vector file is a decision vector (a `model`), not a process vector (`files`). */
export function isDecisionVector(file) {
  const doc = parseDocument(file.source, { intAsBigInt: true, uniqueKeys: false });
  return !isMap(get(doc.contents, 'files'));
}

/**
 * Runs one vector file with the package API `{ build, Engine, Reference? }`. Returns the
 * number of cases run, the failures (one line each), and the bundle (hash and bytes) when it
 * built. With `Reference` (another build's `Engine`, e.g. the whole engine when `Engine` is
 * the decisions-only one), every decision answer must also equal its answer byte for byte.
 */
export async function runVectorFile(api, file) {
  const { path, source } = file;
  const stem = path.split('/').pop().replace(/\.yaml$/, '');
  const doc = parseDocument(source, { intAsBigInt: true, uniqueKeys: false });
  if (doc.errors.length > 0) throw new Error(`${path}: invalid YAML: ${doc.errors[0].message}`);
  const root = doc.contents;
  if (isMap(get(root, 'files'))) return runProcessFile(api, file, doc);
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
  const reference = api.Reference ? await api.Reference.load(built.bundle) : null;
  try {
    for (const c of caseNodes) {
      const where = `${path} / ${str(get(c, 'name')) ?? '?'}`;
      const decision = str(get(c, 'decision'));
      if (decision === undefined) throw new Error(`${where}: case has no \`decision\``);
      const inputJson = yamlToJsonText(get(c, 'input'), source);
      const answerText = engine.decideJson(decision, inputJson);
      if (reference !== null) {
        const referenceText = reference.decideJson(decision, inputJson);
        if (referenceText !== answerText) {
          failures.push(`${where}: the builds answer differently\n      this:      ${answerText}\n      reference: ${referenceText}`);
        }
      }
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
    reference?.free();
  }
}

function compareErrors(a, b) {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

function dedup(list) {
  return list.filter((x, i) => i === 0 || JSON.stringify(x) !== JSON.stringify(list[i - 1]));
}

// ---- Process vectors (`files` + `cases` of steps), as `run_process_file` natively. ----

/** A JSON number kept as its text. */
class Num {
  constructor(text) {
    this.text = text;
  }
}

/** Parses JSON text keeping numbers as text (`Num`) and objects as `Map` in document order. */
export function parseExact(text) {
  let i = 0;
  const ws = () => {
    while (' \t\n\r'.includes(text[i]) && i < text.length) i += 1;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i += 1;
      const map = new Map();
      ws();
      if (text[i] === '}') {
        i += 1;
        return map;
      }
      for (;;) {
        ws();
        const key = string();
        ws();
        if (text[i] !== ':') throw new Error(`expected \`:\` at ${i}`);
        i += 1;
        map.set(key, value());
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === '}') {
          i += 1;
          return map;
        } else throw new Error(`expected \`,\` or \`}\` at ${i}`);
      }
    }
    if (c === '[') {
      i += 1;
      const items = [];
      ws();
      if (text[i] === ']') {
        i += 1;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === ']') {
          i += 1;
          return items;
        } else throw new Error(`expected \`,\` or \`]\` at ${i}`);
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m) throw new Error(`unexpected \`${c}\` at ${i}`);
    i += m[0].length;
    return new Num(m[0]);
  };
  const string = () => {
    if (text[i] !== '"') throw new Error(`expected a string at ${i}`);
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    const s = JSON.parse(text.slice(i, j + 1));
    i = j + 1;
    return s;
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}

/**
 * The canonical text of a number (as `canonical::to_string`): exact decimal, no exponent,
 * no trailing zeros, `-0` → `0`; numbers beyond 28 significant digits keep their text.
 */
export function canonicalNumber(text) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m) return text;
  const [, sign, int, frac = '', exp = '0'] = m;
  let digits = `${int}${frac}`.replace(/^0+/, '');
  let scale = frac.length - Number(exp);
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  scale -= digits.length - trimmed.length;
  digits = trimmed;
  if (digits.length > 28 || scale > 28) return text;
  if (scale <= 0) return `${sign}${digits}${'0'.repeat(-scale)}`;
  if (digits.length > scale) return `${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return `${sign}0.${'0'.repeat(scale - digits.length)}${digits}`;
}

/** Compares strings by code point, as Rust sorts `String`s. */
function byCodePoint(a, b) {
  const x = [...a].map((c) => c.codePointAt(0));
  const y = [...b].map((c) => c.codePointAt(0));
  for (let k = 0; k < Math.min(x.length, y.length); k += 1) if (x[k] !== y[k]) return x[k] - y[k];
  return x.length - y.length;
}

/** Canonical JSON text of a `parseExact` value. */
export function canonical(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Num) return canonicalNumber(v.text);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const keys = [...v.keys()].sort(byCodePoint);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v.get(k))}`).join(',')}}`;
}

/** Whether `actual` contains `expected` (objects by key, arrays by element and length, scalars canonically). */
function subset(expected, actual, path) {
  if (expected instanceof Map && actual instanceof Map) {
    for (const [k, ev] of expected) {
      if (!actual.has(k)) return `${path}.${k}: missing`;
      const why = subset(ev, actual.get(k), `${path}.${k}`);
      if (why) return why;
    }
    return null;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) {
      return `${path}: ${actual.length} items, expected ${expected.length}: ${canonical(actual)}`;
    }
    for (let k = 0; k < expected.length; k += 1) {
      const why = subset(expected[k], actual[k], `${path}[${k}]`);
      if (why) return why;
    }
    return null;
  }
  const [e, a] = [canonical(expected), canonical(actual)];
  return e === a ? null : `${path}: ${a}, expected ${e}`;
}

/** Runs one process vector file; same result shape as `runVectorFile`. */
async function runProcessFile(api, file, doc) {
  const { path, source } = file;
  const filesNode = get(doc.contents, 'files');
  const files = filesNode.items.map((pair) => {
    const [name, text] = [str(pair.key), str(pair.value)];
    if (name === undefined || text === undefined) throw new Error(`${path}: \`files\` maps names to texts`);
    return { path: name, text };
  });
  const built = await api.build(files);
  const failures = [];
  const expectedErrors = get(doc.contents, 'build-errors');
  if (isSeq(expectedErrors)) {
    const key = (e) => JSON.stringify(e);
    const want = expectedErrors.items
      .map((e) => [str(get(e, 'file')) ?? '', str(get(e, 'code')) ?? '', Number(get(e, 'line')?.value ?? 0)])
      .sort(compareTriples);
    if (built.type === 'success') failures.push(`${path}: built, but errors were expected`);
    else {
      const got = built.errors
        .map((d) => [d.location ? d.location.file : '', d.code, d.location ? d.location.line : 0])
        .sort(compareTriples);
      if (want.map(key).join() !== got.map(key).join()) {
        failures.push(`${path}: build errors differ\n      expected: ${JSON.stringify(want)}\n      actual:   ${JSON.stringify(got)}`);
      }
    }
    return { cases: 1, failures, bundle: null };
  }
  const cases = get(doc.contents, 'cases');
  const caseNodes = isSeq(cases) ? cases.items : [];
  if (built.type !== 'success') {
    failures.push(`${path}: does not build: ${JSON.stringify(built.errors.map((d) => [d.location?.file, d.code, d.location?.line]))}`);
    return { cases: caseNodes.length || 1, failures, bundle: null };
  }
  const engine = await api.Engine.load(built.bundle);
  const reference = api.Reference ? await api.Reference.load(built.bundle) : null;
  try {
    for (const c of caseNodes) {
      const where = `${path} / ${str(get(c, 'name')) ?? '?'}`;
      const held = []; // [alias, case], in the order they were started
      const steps = get(c, 'steps');
      if (!isSeq(steps)) throw new Error(`${where}: case has no \`steps\``);
      for (const [i, step] of steps.items.entries()) {
        const op = str(get(step, 'op'));
        if (op === undefined) throw new Error(`${where}: step has no \`op\``);
        const alias = str(get(step, 'case')) ?? 'main';
        let request = parseExact(yamlToJsonText(get(step, 'request'), source));
        if (request === null) request = new Map();
        if (!(request instanceof Map)) throw new Error(`${where}: request is not a mapping`);
        const current = held.find(([a]) => a === alias)?.[1];
        if (op === 'apply' && !request.has('case')) request.set('case', current ?? null);
        if (op === 'replay' && !request.has('events')) {
          request.set('events', current instanceof Map && current.has('events') ? current.get('events') : null);
        }
        if ((op === 'tasks' || op === 'kpis') && !request.has('cases')) request.set('cases', held.map(([, h]) => h));
        const answerText = engine.processJson(op, canonical(request));
        const answer = parseExact(answerText);
        if (isMap(step) && step.has('expect')) {
          const why = subset(parseExact(yamlToJsonText(get(step, 'expect'), source)), answer, 'answer');
          if (why) {
            failures.push(`${where}, step ${i + 1} (${op}): ${why}\n      answer: ${answerText}`);
            break;
          }
        }
        const other = str(get(step, 'replays-to'));
        if (other !== undefined) {
          const strip = (v) => {
            if (!(v instanceof Map)) return v ?? null;
            const copy = new Map(v);
            copy.delete('sla');
            return copy;
          };
          const got = canonical(strip(answer instanceof Map ? answer.get('case') : null));
          const want = canonical(strip(held.find(([a]) => a === other)?.[1]));
          if (got !== want) {
            failures.push(`${where}, step ${i + 1}: replay differs from case \`${other}\`\n      replayed: ${got}\n      case:     ${want}`);
            break;
          }
        }
        if ((op === 'start' || op === 'apply') && answer instanceof Map && answer.get('type') === 'success') {
          const caseJson = answer.has('case') ? answer.get('case') : null;
          const slot = held.find(([a]) => a === alias);
          if (slot) slot[1] = caseJson;
          else held.push([alias, caseJson]);
        }
      }
    }
    return { cases: caseNodes.length, failures, bundle: { hash: built.bundleHash, bytes: built.bundle } };
  } finally {
    engine.free();
    reference?.free();
  }
}

function compareTriples(a, b) {
  for (let k = 0; k < 3; k += 1) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}
