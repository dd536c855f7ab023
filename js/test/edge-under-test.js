// The edge the console tests talk to: by default the real edge component (the release build
// of crates/cpm-edge, embedding examples/customer) served by the test host (tests/host) with
// an in-memory store, the admin tokens and the built console mounted under /console/. With
// CPM_CONSOLE_EDGE=fake, the Node fake of the admin API (fake-edge.js) instead, for working
// on the console without the Rust host build.

import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

import { startFakeEdge } from './fake-edge.js';
import { repoRoot } from './helpers.js';

function cargo(args) {
  execFileSync('cargo', args, { cwd: repoRoot, stdio: 'inherit' });
}

function targetDir() {
  const meta = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: repoRoot, encoding: 'utf8' }));
  return meta.target_directory;
}

/**
 * Starts an edge whose embedded rules are `files` (the real component embeds
 * examples/customer, which is what the tests pass), with admin `tokens` (`{ name: token }`),
 * serving `staticDir` under /console/. Resolves to `{ url, close }`.
 */
export async function startEdge({ files, tokens, staticDir }) {
  if (process.env.CPM_CONSOLE_EDGE === 'fake') return startFakeEdge({ files, tokens, staticDir });
  // No-ops when fresh (CI has built both before `npm test`).
  cargo(['build', '-q', '--locked', '-p', 'cpm-test-host']);
  cargo(['build', '-q', '--locked', '-p', 'cpm-edge', '--target', 'wasm32-wasip2', '--release']);
  const target = targetDir();
  const adminTokens = Object.entries(tokens)
    .map(([name, token]) => `${name}:${token}`)
    .join(',');
  const host = spawn(
    join(target, 'debug', 'cpm-test-host'),
    [
      '--listen',
      '127.0.0.1:0',
      '--kv-memory',
      '--config',
      `admin_tokens=${adminTokens}`,
      '--static',
      `/console=${staticDir}`,
      join(target, 'wasm32-wasip2', 'release', 'cpm_edge.wasm'),
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  host.stderr.on('data', (d) => {
    log += d;
  });
  const exited = new Promise((done) => host.once('exit', (code, signal) => done({ code, signal })));
  const url = await new Promise((ok, fail) => {
    const lines = createInterface({ input: host.stdout });
    lines.once('line', (line) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim());
      if (m) ok(m[1]);
      else fail(new Error(`the test host printed \`${line}\`:\n${log}`));
    });
    exited.then(({ code, signal }) => fail(new Error(`the test host exited (${code ?? signal}):\n${log}`)));
  });
  return {
    url,
    close: async () => {
      host.kill('SIGTERM');
      await exited;
    },
  };
}
