// @cpm/engine for Node 20+: the same API as ./index.js, with the .wasm read from disk
// (Node's fetch does not read file: URLs).

import { readFile } from 'node:fs/promises';
import { setDefaultWasmSource } from './index.js';

setDefaultWasmSource(() => readFile(new URL('./pkg/cpm_web_bg.wasm', import.meta.url)));

export * from './index.js';
