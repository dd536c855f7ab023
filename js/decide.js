// @cpm/engine/decide: the decisions-only runtime of the cpm engine, for web front-ends that
// evaluate decisions from a bundle built elsewhere (`cpm build`, or `build()` of the full
// entry). The same cpm-core code as `@cpm/engine`, so the same answers byte for byte, in a
// much smaller wasm: no `build()`, no process operations, no templates, no `runTests`, no
// `checkFeel` (use `@cpm/engine` for those).
//
// A thin wrapper over the wasm-bindgen glue in ./pkg-decide (built by scripts/build.sh).
// Works in browsers, in bundlers, and in Node 20+ (through ./decide-node.js, which reads the
// .wasm from disk).

import initWasm, { Engine as RawEngine, limits as rawLimits } from './pkg-decide/cpm_web_decide.js';

import { decisionEngine, wasmLoader } from './common.js';

const loader = wasmLoader(initWasm, () => new URL('./pkg-decide/cpm_web_decide_bg.wasm', import.meta.url));

/**
 * Sets where the wasm comes from when `init` is called without an argument (used by
 * ./decide-node.js); `source` is a function returning what `init` accepts.
 */
export function setDefaultWasmSource(source) {
  loader.setDefaultWasmSource(source);
}

/**
 * Loads and instantiates the decisions-only wasm module once. `wasm` may be a URL, a
 * `Response`, bytes (`Uint8Array`/`ArrayBuffer`) or a compiled `WebAssembly.Module`; by
 * default the `cpm_web_decide_bg.wasm` next to this entry's glue. Called by `Engine.load`.
 */
export function init(wasm) {
  return loader.init(wasm);
}

/** A loaded rules bundle, ready to answer decision requests. */
export const Engine = decisionEngine(RawEngine, init);

/**
 * The limits every request is held to (the core's constants), e.g. `inputStringBytes`;
 * decide.d.ts lists each limit with the error `code` it gives when exceeded.
 */
export async function limits() {
  await init();
  return rawLimits();
}
