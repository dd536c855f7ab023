// @cpm/engine/decide: the decisions-only runtime of the cpm engine, for web front-ends that
// evaluate decisions from a bundle built elsewhere (`cpm build`, or `build()` of the full
// entry). The same cpm-core code as `@cpm/engine`, so the same answers byte for byte, in a
// much smaller wasm: no `build()`, no process operations, no templates, no `runTests`, no
// `checkFeel` (use `@cpm/engine` for those).
//
// A thin wrapper over the wasm-bindgen glue in ./pkg-decide (built by scripts/build.sh).
// Works in browsers, in bundlers, and in Node 20+ (through ./decide-node.js, which reads the
// .wasm from disk).

import initWasm, {
  Engine as RawEngine,
  installZoneData,
  limits as rawLimits,
} from './pkg-decide/cpm_web_decide.js';

import { decisionEngine, wasmLoader, zoneDataLoader } from './common.js';

const loader = wasmLoader(initWasm, () => new URL('./pkg-decide/cpm_web_decide_bg.wasm', import.meta.url));
const zoneData = zoneDataLoader(installZoneData, () => new URL('./pkg-decide/tzdata.bin', import.meta.url));

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

/**
 * Sets where the time-zone data comes from when `loadZoneData` is called without an
 * argument (used by ./decide-node.js); `source` is a function returning what
 * `loadZoneData` accepts.
 */
export function setDefaultZoneDataSource(source) {
  zoneData.setDefaultSource(source);
}

/**
 * Loads the rules of named time zones (`@Europe/Paris`) once for every engine of this
 * entry, and resolves to `{ version, names }`. This entry has no tz database compiled in
 * (it would be a third of its size): `Engine.load` calls this for bundles that could meet
 * a named zone, so most pages never need to. `source` may be a URL, a `Response` or the
 * bytes of the file, gzipped or not; by default `pkg-decide/tzdata.bin` next to this
 * entry's glue (written by `cpm tzdata`, the same database as every other cpm target).
 * Rejects with a `CpmError`: `zone-data-unavailable` (the fetch failed) or
 * `bad-zone-data` (not a zone-data file, or damaged).
 */
export async function loadZoneData(source) {
  await init();
  return zoneData.load(source);
}

/**
 * A loaded rules bundle, ready to answer decision requests. `Engine.load` also loads the
 * zone data when the bundle could meet a named time zone (see `loadZoneData`).
 */
export const Engine = decisionEngine(RawEngine, init, async (raw) => {
  if (raw.needsZoneData) await loadZoneData();
});

/**
 * The limits every request is held to (the core's constants), e.g. `inputStringBytes`;
 * decide.d.ts lists each limit with the error `code` it gives when exceeded.
 */
export async function limits() {
  await init();
  return rawLimits();
}
