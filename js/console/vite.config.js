// The business console's build: plain ES modules, the engine package from `..` (js/), served
// under /console/ next to the edge. `npm run dev` proxies the edge API (/v1) to CPM_EDGE
// (default http://127.0.0.1:3000, what `spin up` listens on).

import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vite';

const engine = fileURLToPath(new URL('../index.js', import.meta.url));
const jsRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  base: '/console/',
  resolve: {
    // The browser entry of @cpm/engine (its `node` export reads the wasm from disk).
    alias: { '@cpm/engine': engine },
  },
  // The engine finds its wasm with `new URL(..., import.meta.url)`: leave it unbundled in dev.
  optimizeDeps: { exclude: ['@cpm/engine'] },
  server: {
    host: '127.0.0.1',
    fs: { allow: [jsRoot] },
    proxy: { '/v1': { target: process.env.CPM_EDGE ?? 'http://127.0.0.1:3000', changeOrigin: true } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
  },
});
