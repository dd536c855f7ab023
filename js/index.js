// @cpm/engine: the cpm rules engine compiled to WebAssembly.
//
// A thin wrapper over the wasm-bindgen glue in ./pkg (built by scripts/build.sh). Every
// decision is computed by cpm-core inside the wasm; this file only loads the module and
// passes values through. Works in browsers (<script type="module">), in bundlers, and in
// Node 20+ (through ./node.js, which reads the .wasm from disk).

import initWasm, {
  Engine as RawEngine,
  build as rawBuild,
  checkFeel as rawCheckFeel,
  kpis as rawKpis,
  kpisJson as rawKpisJson,
  limits as rawLimits,
  tasks as rawTasks,
  tasksJson as rawTasksJson,
} from './pkg/cpm_web.js';

let defaultSource = () => new URL('./pkg/cpm_web_bg.wasm', import.meta.url);
let ready = null;

/**
 * Sets where the wasm comes from when `init` is called without an argument (used by
 * ./node.js); `source` is a function returning what `init` accepts.
 */
export function setDefaultWasmSource(source) {
  defaultSource = source;
}

/**
 * Loads and instantiates the wasm module once. `wasm` may be a URL, a `Response`, bytes
 * (`Uint8Array`/`ArrayBuffer`) or a compiled `WebAssembly.Module`; by default the
 * `cpm_web_bg.wasm` next to this package's glue. Called by `Engine.load` and `build`.
 */
export function init(wasm) {
  if (ready === null) {
    ready = (async () => {
      const source = wasm ?? (await defaultSource());
      await initWasm({ module_or_path: await source });
    })();
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('bundle bytes must be a Uint8Array, an ArrayBuffer or a typed array view');
}

// Options with `undefined` values left out, so `{ explain: undefined }` means the default.
function optionsOf(options) {
  if (options === undefined || options === null) return undefined;
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

// `explain` from options that hold nothing else (`undefined`, `{}`, `{ explain: false }`),
// the default `true` when absent; `undefined` for anything else, which the general path
// reads (and refuses with its error when it is not a valid option).
function explainOf(options) {
  if (options === undefined || options === null) return true;
  if (typeof options !== 'object' || Object.getPrototypeOf(options) !== Object.prototype) {
    return undefined;
  }
  let explain = true;
  for (const key in options) {
    if (!Object.hasOwn(options, key)) return undefined;
    const value = options[key];
    if (key !== 'explain' || (value !== undefined && typeof value !== 'boolean')) return undefined;
    if (value === false) explain = false;
  }
  return explain;
}

// How deep `isPlainJson` looks; deeper values take the general path (which enforces the
// engine's own nesting limit with its error).
const PLAIN_DEPTH = 32;

// Whether `value` is JSON data that `JSON.stringify` writes exactly as the engine reads the
// object itself: null, booleans, finite numbers (both write `String(x)`), well-formed
// strings, arrays and plain objects of such values (no `undefined`, no `toJSON`, no Date,
// Map or class instances).
function isPlainJson(value, depth) {
  switch (typeof value) {
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'string':
      return isWellFormed(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= PLAIN_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!isPlainJson(value[i], depth + 1)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (!isWellFormed(key) || !isPlainJson(value[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// Lone surrogates are written as escapes by `JSON.stringify` but replaced by U+FFFD when a
// string object crosses; such strings take the general path.
const isWellFormed =
  typeof String.prototype.isWellFormed === 'function'
    ? (s) => s.isWellFormed()
    : (s) => !/[\uD800-\uDFFF]/.test(s) || /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(s);

/** A loaded rules bundle, ready to answer decision requests. */
export class Engine {
  #raw;

  constructor(raw) {
    if (!(raw instanceof RawEngine)) {
      throw new TypeError('use `await Engine.load(bundleBytes)` to create an Engine');
    }
    this.#raw = raw;
  }

  /** Loads a bundle (the bytes `cpm build` or `build()` wrote); throws a `CpmError` (`bad-bundle`). */
  static async load(bundleBytes) {
    await init();
    return new Engine(RawEngine.load(bytesOf(bundleBytes)));
  }

  /** The bundle's content hash (lowercase hex SHA-256). */
  get bundleHash() {
    return this.#raw.bundleHash;
  }

  /**
   * Evaluates decision `name` for `input` (an object of input data by name) and returns
   * the answer `{ type: 'success', decision, output, bundleHash, explanation? }`; throws a
   * `CpmError` with `code`, `detail` and `path` when the decision cannot be made.
   */
  decide(name, input = {}, options = undefined) {
    // Plain JSON data crosses as one string (much faster than property by property) and
    // reads back the same; anything else takes the general path, which also gives the
    // precise error for values that are not JSON data.
    const explain = explainOf(options);
    if (explain !== undefined && isPlainJson(input, 0)) {
      return this.#raw.decideText(name, JSON.stringify(input), explain);
    }
    return this.#raw.decide(name, input, optionsOf(options));
  }

  /**
   * Evaluates decision `name` for input given as JSON text (exact numbers) and returns the
   * answer, success or failure, as canonical JSON text, byte-identical on every target.
   */
  decideJson(name, inputJson, options = undefined) {
    return this.#raw.decideJson(name, inputJson, optionsOf(options));
  }

  /** The processes a contact starts, and the data each still needs: `{ type, processes, … }`. */
  intake(contact) {
    return this.#raw.intake({ contact });
  }

  /** Starts a case: `request` is `{ process, key, now, data?, contact?, id? }`; answers `{ type, case, effects }`. */
  startCase(request) {
    return this.#raw.startCase(request);
  }

  /** Applies an event to a case at `now` (RFC 3339); answers `{ type, case, applied, effects }`. */
  apply(caseState, event, now) {
    return this.#raw.applyEvent({ case: caseState, event, now });
  }

  /** Rebuilds a case from its events (SLA view at `now`, default: the last event's time). */
  replay(events, now = undefined) {
    return this.#raw.replay(now === undefined ? { events } : { events, now });
  }

  /** The open tasks of `cases` at `now`, oldest first, optionally of one queue. */
  tasks(cases, { now, queue } = {}) {
    return rawTasks(queue === undefined ? { cases, now } : { cases, now, queue });
  }

  /** KPIs of `cases` at `now`, per process. */
  kpis(cases, now) {
    return rawKpis({ cases, now });
  }

  /**
   * The process operations on JSON text, answering canonical JSON text (success or
   * failure): `op` is `intake`, `start`, `apply`, `replay`, `tasks` or `kpis`, and
   * `requestJson` the request as in docs/processes.md.
   */
  processJson(op, requestJson) {
    switch (op) {
      case 'intake':
        return this.#raw.intakeJson(requestJson);
      case 'start':
        return this.#raw.startCaseJson(requestJson);
      case 'apply':
        return this.#raw.applyEventJson(requestJson);
      case 'replay':
        return this.#raw.replayJson(requestJson);
      case 'tasks':
        return rawTasksJson(requestJson);
      case 'kpis':
        return rawKpisJson(requestJson);
      default:
        throw new TypeError(`unknown process operation \`${op}\`; use intake, start, apply, replay, tasks or kpis`);
    }
  }

  /** The bundle's decisions with their inputs and types. */
  decisions() {
    return this.#raw.decisions();
  }

  /**
   * Runs every test case the bundle carries: `{ bundleHash, passed, failed, tests }`, each
   * test `{ model, test, input, passed, checks: [{ decision, expected, actual | error, passed }] }`.
   */
  runTests() {
    return this.#raw.runTests();
  }

  /** Frees the engine's wasm memory now (otherwise it is freed when garbage collected). */
  free() {
    this.#raw.free();
  }
}

/**
 * Compiles source files `[{ path, text }]` (the cpm YAML/JSON model format) into a
 * bundle: `{ type: 'success', bundle, bundleHash, warnings }` or
 * `{ type: 'failure', errors, warnings }`.
 */
export async function build(files) {
  await init();
  return rawBuild(files);
}

/**
 * Checks the syntax of one FEEL text as the compiler parses it: `kind` is `'unary-tests'`
 * (a table input cell) or `'expression'` (an output cell, a condition); `names` lists the
 * multi-word names the text may use (a model's inputs and decisions). Returns `[]` or
 * `[{ code: 'feel-syntax', message, line, column, start, end }]`. Call `init()` first
 * (`build` and `Engine.load` do).
 */
export function checkFeel(text, { kind, names = [] } = {}) {
  return rawCheckFeel(text, { kind, names });
}

/**
 * The limits every request is held to (the core's constants), e.g. `inputStringBytes`;
 * index.d.ts lists each limit with the error `code` it gives when exceeded.
 */
export async function limits() {
  await init();
  return rawLimits();
}
