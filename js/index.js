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

import { RAW, decisionEngine, wasmLoader } from './common.js';

const loader = wasmLoader(initWasm, () => new URL('./pkg/cpm_web_bg.wasm', import.meta.url));

/**
 * Sets where the wasm comes from when `init` is called without an argument (used by
 * ./node.js); `source` is a function returning what `init` accepts.
 */
export function setDefaultWasmSource(source) {
  loader.setDefaultWasmSource(source);
}

/**
 * Loads and instantiates the wasm module once. `wasm` may be a URL, a `Response`, bytes
 * (`Uint8Array`/`ArrayBuffer`) or a compiled `WebAssembly.Module`; by default the
 * `cpm_web_bg.wasm` next to this package's glue. Called by `Engine.load` and `build`.
 */
export function init(wasm) {
  return loader.init(wasm);
}

/**
 * A loaded rules bundle, ready to answer decision requests (the methods shared with
 * `@cpm/engine/decide`, from common.js) and to run the process operations.
 */
export class Engine extends decisionEngine(RawEngine, init) {
  /** The processes a contact starts, and the data each still needs: `{ type, processes, … }`. */
  intake(contact) {
    return this[RAW].intake({ contact });
  }

  /** Starts a case: `request` is `{ process, key, now, data?, contact?, id? }`; answers `{ type, case, effects }`. */
  startCase(request) {
    return this[RAW].startCase(request);
  }

  /** Applies an event to a case at `now` (RFC 3339); answers `{ type, case, applied, effects }`. */
  apply(caseState, event, now) {
    return this[RAW].applyEvent({ case: caseState, event, now });
  }

  /** Rebuilds a case from its events (SLA view at `now`, default: the last event's time). */
  replay(events, now = undefined) {
    return this[RAW].replay(now === undefined ? { events } : { events, now });
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
        return this[RAW].intakeJson(requestJson);
      case 'start':
        return this[RAW].startCaseJson(requestJson);
      case 'apply':
        return this[RAW].applyEventJson(requestJson);
      case 'replay':
        return this[RAW].replayJson(requestJson);
      case 'tasks':
        return rawTasksJson(requestJson);
      case 'kpis':
        return rawKpisJson(requestJson);
      default:
        throw new TypeError(`unknown process operation \`${op}\`; use intake, start, apply, replay, tasks or kpis`);
    }
  }

  /**
   * Runs every test case the bundle carries: `{ bundleHash, passed, failed, tests }`, each
   * test `{ model, test, input, passed, checks: [{ decision, expected, actual | error, passed }] }`.
   */
  runTests() {
    return this[RAW].runTests();
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
