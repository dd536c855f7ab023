// Shared by the Node and Chromium tests: the vector files, the native CLI, a static server.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder (js/) and the repository root. */
export const jsRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const repoRoot = resolve(jsRoot, '..');
export const vectorsDir = process.env.CPM_VECTORS_DIR
  ? resolve(process.env.CPM_VECTORS_DIR)
  : join(repoRoot, 'tests', 'vectors');

/** Every `.yaml` vector file, sorted by path, as `{ path, source }` (path relative to the repo). */
export function vectorFiles(dir = vectorsDir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.yaml')) {
        out.push({ path: relative(repoRoot, p).split(sep).join('/'), source: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(dir);
  return out;
}

let cpmBinary = null;

/** The native `cpm` binary, built (debug) on first use. */
export function nativeCli() {
  if (cpmBinary === null) {
    execFileSync('cargo', ['build', '-q', '--locked', '-p', 'cpm-cli'], { cwd: repoRoot, stdio: 'inherit' });
    const meta = JSON.parse(
      execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoRoot, encoding: 'utf8' }),
    );
    cpmBinary = join(meta.target_directory, 'debug', 'cpm');
  }
  return cpmBinary;
}

/**
 * The source files a vector file builds: `[{ path: '<stem>.yaml', text: model }]` for a
 * decision vector, the `files` mapping (in document order) for a process vector.
 */
export function vectorSources(file, parseDocument) {
  const doc = parseDocument(file.source);
  const files = doc.get('files');
  if (files) return files.items.map((pair) => ({ path: String(pair.key.value), text: String(pair.value.value) }));
  const stem = file.path.split('/').pop().replace(/\.yaml$/, '');
  return [{ path: `${stem}.yaml`, text: doc.get('model') }];
}

/**
 * Builds source files natively with `cpm build`: a rules folder (`dir`) or `files`
 * (`[{ path, text }]`, written to a temporary folder). Returns `{ hash, bytes }`, or
 * `null` when the build fails.
 */
export function nativeBuild({ dir, files }) {
  const tmp = mkdtempSync(join(tmpdir(), 'cpm-native-'));
  try {
    let target = dir;
    if (files) {
      target = join(tmp, 'src');
      mkdirSync(target);
      for (const f of files) writeFileSync(join(target, f.path), f.text);
    }
    const out = join(tmp, 'bundle.cpm');
    let report;
    try {
      report = execFileSync(nativeCli(), ['build', target, '-o', out, '--json'], { encoding: 'utf8' });
    } catch (e) {
      if (e.status === 1) return null;
      throw e;
    }
    return { hash: JSON.parse(report).bundleHash, bytes: new Uint8Array(readFileSync(out)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The source files of a rules folder as the CLI reads them (core's `is_source_file_name` and
 * `is_skipped_dir_name`): sorted, paths relative with `/`.
 */
export function modelFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const lower = name.toLowerCase();
      if (statSync(p).isDirectory()) {
        if (!(name.startsWith('.') || name === 'target' || name === 'node_modules')) walk(p);
      } else if (
        !lower.startsWith('.') &&
        /\.(ya?ml|json)$/.test(lower) &&
        !/(^input\.json|^package\.json|\.input\.json|\.events\.json)$/.test(lower)
      ) {
        out.push({ path: relative(dir, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.cpm': 'application/octet-stream',
  '.png': 'image/png',
};

/** Serves `root` read-only on 127.0.0.1 on a free port; resolves to `{ url, close }`. */
export function serve(root = jsRoot) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || req.method !== 'GET') {
      res.writeHead(403).end();
      return;
    }
    let size;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      ok({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(done);
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Chromium options: Debian's browser, headless, never a downloaded one. */
export const chromiumOptions = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};
