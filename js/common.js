// Shared by both entries of @cpm/engine (index.js: the whole engine; decide.js: the
// decisions-only runtime): loading the wasm once, bundle bytes, options, and the fast path
// that sends plain JSON input to the wasm as one string. No Node APIs here.

/**
 * Something loaded once from a default source that can be changed: `load(given?)` runs
 * `use(given ?? await defaultSource())` the first time and returns the same promise after;
 * a failed load is forgotten, so the next call tries again.
 */
function loadedOnce(use, defaultSource) {
  let source = defaultSource;
  let ready = null;
  return {
    setDefaultSource(next) {
      source = next;
    },
    load(given) {
      if (ready === null) {
        ready = (async () => use(await (given ?? (await source()))))();
        ready.catch(() => {
          ready = null;
        });
      }
      return ready;
    },
  };
}

/**
 * A loader of one wasm-bindgen module: `init(wasm?)` instantiates it once (by default from
 * what `defaultSource()` gives), `setDefaultWasmSource(source)` changes that default.
 */
export function wasmLoader(initWasm, defaultSource) {
  const wasm = loadedOnce(async (from) => {
    await initWasm({ module_or_path: from });
  }, defaultSource);
  return { setDefaultWasmSource: wasm.setDefaultSource, init: wasm.load };
}

/**
 * A loader of the time-zone data file for a build without the tz database compiled in:
 * `load(source?)` fetches it once (by default from what `defaultSource()` gives), gunzips
 * it when it is gzip, and hands the bytes to `install` (the wasm's `installZoneData`).
 */
export function zoneDataLoader(install, defaultSource) {
  return loadedOnce(async (from) => install(await zoneDataBytes(from)), defaultSource);
}

// The zone-data file's bytes from a URL, a `Response` or bytes; gzip is undone here (the
// file ships gzipped, and a server may or may not have undone that already).
async function zoneDataBytes(from) {
  let data = from;
  if (typeof data === 'string' || data instanceof URL) {
    let response;
    try {
      response = await fetch(data);
    } catch (cause) {
      throw zoneDataUnavailable(`cannot fetch the time-zone data from ${data}: ${cause.message}`, cause);
    }
    if (!response.ok) {
      throw zoneDataUnavailable(`cannot fetch the time-zone data from ${data}: HTTP ${response.status}`);
    }
    data = response;
  }
  if (typeof Response !== 'undefined' && data instanceof Response) data = await data.arrayBuffer();
  const bytes = bytesOf(data);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function zoneDataUnavailable(message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'CpmError';
  error.code = 'zone-data-unavailable';
  error.detail = message;
  return error;
}

export function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('bundle bytes must be a Uint8Array, an ArrayBuffer or a typed array view');
}

// Options with `undefined` values left out, so `{ explain: undefined }` means the default.
export function optionsOf(options) {
  if (options === undefined || options === null) return undefined;
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
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

/**
 * `decide` of either entry: plain JSON data crosses as one string (much faster than
 * property by property) and reads back the same; anything else takes the general path,
 * which also gives the precise error for values that are not JSON data. On the fast path
 * the wasm answers with the body of the answer (`explanation`, `output`, `type`) and the
 * answer is `bundleHash` (`hash`, the engine's) and `decision` (`name`) followed by the
 * body's members: the same object, keys in the same order, as the whole answer's text
 * would parse to. (A name that is not a well-formed string takes the general path: the
 * wasm reads a lone surrogate as U+FFFD, so the answer's `decision` is not `name` then.)
 */
export function decideWith(raw, hash, name, input, options) {
  const explain = explainOf(options);
  if (explain !== undefined && typeof name === 'string' && isWellFormed(name) && isPlainJson(input, 0)) {
    const body = raw.decideBody(name, JSON.stringify(input), explain);
    return { bundleHash: hash, decision: name, ...body };
  }
  return raw.decide(name, input, optionsOf(options));
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

/** The key under which an engine class built by `decisionEngine` keeps its wasm engine. */
export const RAW = Symbol('cpm raw engine');

/**
 * The decision half of the `Engine` class both entries export, over one wasm-bindgen
 * `RawEngine` class and its entry's `init`: `load`, `bundleHash`, `decide`, `decideJson`,
 * `decisions`, `free`. The whole engine extends it with the process operations, reaching
 * the wasm engine as `this[RAW]`. `prepare(raw)`, if given, runs in `load` before the
 * engine is handed out (the decide entry loads the zone data there when the bundle needs it).
 */
export function decisionEngine(RawEngine, init, prepare = undefined) {
  return class Engine {
    #raw;

    // The bundle's hash, read once: every answer of `decide` carries it.
    #hash;

    constructor(raw) {
      if (!(raw instanceof RawEngine)) {
        throw new TypeError('use `await Engine.load(bundleBytes)` to create an Engine');
      }
      this.#raw = raw;
      this.#hash = raw.bundleHash;
    }

    /** Loads a bundle (the bytes `cpm build` or `build()` wrote); throws a `CpmError` (`bad-bundle`). */
    static async load(bundleBytes) {
      await init();
      const raw = RawEngine.load(bytesOf(bundleBytes));
      if (prepare !== undefined) {
        try {
          await prepare(raw);
        } catch (error) {
          raw.free();
          throw error;
        }
      }
      return new this(raw);
    }

    /** The wasm engine, for the methods a subclass adds. */
    get [RAW]() {
      return this.#raw;
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
      return decideWith(this.#raw, this.#hash, name, input, options);
    }

    /**
     * Evaluates decision `name` for input given as JSON text (exact numbers) and returns the
     * answer, success or failure, as canonical JSON text, byte-identical on every target.
     */
    decideJson(name, inputJson, options = undefined) {
      return this.#raw.decideJson(name, inputJson, optionsOf(options));
    }

    /** The bundle's decisions with their inputs and types. */
    decisions() {
      return this.#raw.decisions();
    }

    /** Frees the engine's wasm memory now (otherwise it is freed when garbage collected). */
    free() {
      this.#raw.free();
    }
  };
}
