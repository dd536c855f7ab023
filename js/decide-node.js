// @cpm/engine/decide for Node 20+: the same API as ./decide.js, with the .wasm and the
// time-zone data read from disk (Node's fetch does not read file: URLs).

import { readFile } from 'node:fs/promises';
import { setDefaultWasmSource, setDefaultZoneDataSource } from './decide.js';

setDefaultWasmSource(() => readFile(new URL('./pkg-decide/cpm_web_decide_bg.wasm', import.meta.url)));
setDefaultZoneDataSource(() => readFile(new URL('./pkg-decide/tzdata.bin', import.meta.url)));

export * from './decide.js';
