// A small stand-in for the edge's admin API (docs/edge.md, "Publishing"), for the console's
// tests where the real edge component and its test host are not built: the same routes and
// problem documents, computed with the engine package itself (build, runTests, decide). It
// also serves the built console under /console/. Listens on 127.0.0.1 on a free port.

import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { Engine, build } from '@cpm/engine';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

function problem(res, status, code, title, detail, extra = {}) {
  const headers = { 'content-type': 'application/problem+json' };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers).end(JSON.stringify({ type: `https://cpm.dev/problems/${code}`, title, status, detail, code, ...extra }));
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((ok, fail) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/**
 * Starts the fake edge with `files` as the embedded bundle's sources and `tokens` (`{ name:
 * token }`) as the admin tokens; serves `staticDir` under /console/. Resolves to
 * `{ url, close, audit }`.
 */
export async function startFakeEdge({ files, tokens, staticDir }) {
  const first = await build(files);
  if (first.type !== 'success') throw new Error(`the embedded sources do not build: ${JSON.stringify(first.errors)}`);
  let active = { files, hash: first.bundleHash, engine: await Engine.load(first.bundle), origin: 'embedded' };
  const audit = [];

  async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/v1/bundle') {
      const body = { bundleHash: active.hash, origin: active.origin, decisions: active.engine.decisions().decisions };
      if (active.origin === 'published') Object.assign(body, { publishedAt: active.publishedAt, publishedBy: active.publishedBy });
      return json(res, 200, body, { etag: `"${active.hash}"` });
    }
    if (req.method === 'GET' && path === '/v1/bundle/sources') return json(res, 200, { bundleHash: active.hash, files: active.files });
    if (req.method === 'POST' && path.startsWith('/v1/decisions/')) {
      const name = decodeURIComponent(path.slice('/v1/decisions/'.length));
      const text = (await readBody(req)) || '{}';
      const answer = JSON.parse(active.engine.decideJson(name, text, { explain: url.searchParams.get('explain') !== 'false' }));
      if (answer.type === 'success') return json(res, 200, answer);
      const e = answer.errors[0];
      return problem(res, e.code === 'unknown-decision' ? 404 : 422, e.code, 'Decision failed', e.message);
    }
    if (req.method === 'PUT' && path === '/v1/bundles') {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : null;
      if (given === null) return problem(res, 401, 'unauthorized', 'Unauthorized', 'publishing needs `Authorization: Bearer <admin token>`');
      const actor = Object.entries(tokens).find(([, t]) => t === given)?.[0];
      if (actor === undefined) return problem(res, 403, 'forbidden', 'Forbidden', 'the admin token is not valid');
      const body = JSON.parse(await readBody(req));
      const built = await build(body.files);
      if (built.type !== 'success') return problem(res, 422, 'build-failed', 'Build failed', 'the files do not build', { errors: built.errors });
      if (body.bundleHash !== undefined && body.bundleHash !== built.bundleHash) {
        return problem(res, 409, 'hash-mismatch', 'Hash mismatch', `the edge built \`${built.bundleHash}\`, not \`${body.bundleHash}\``);
      }
      const engine = await Engine.load(built.bundle);
      const report = engine.runTests();
      if (report.failed > 0) {
        const errors = report.tests.flatMap((t) =>
          t.checks
            .filter((c) => !c.passed)
            .map((c) => ({ code: 'test-failed', model: t.model, test: t.test, decision: c.decision, expected: c.expected, ...(c.error ? { error: c.error } : { actual: c.actual }) })),
        );
        engine.free();
        return problem(res, 422, 'tests-failed', 'Tests failed', `${report.failed} test cases fail`, { errors });
      }
      const checks = report.tests.reduce((n, t) => n + t.checks.length, 0);
      const answer = { bundleHash: built.bundleHash, previous: active.hash, tests: { passed: checks, failed: 0 }, warnings: built.warnings };
      if (built.bundleHash === active.hash) {
        engine.free();
        return json(res, 200, answer);
      }
      audit.push({ actor, action: 'publish', from: active.hash, to: built.bundleHash });
      active.engine.free();
      active = { files: body.files, hash: built.bundleHash, engine, origin: 'published', publishedAt: new Date(0).toISOString(), publishedBy: actor };
      return json(res, 201, answer, { location: `/v1/bundles/${built.bundleHash}` });
    }
    if (req.method === 'GET' && (path === '/console' || path.startsWith('/console/'))) {
      if (path === '/console') return res.writeHead(308, { location: '/console/' }).end();
      const rel = path.slice('/console/'.length) || 'index.html';
      const file = normalize(join(staticDir, rel));
      if (!file.startsWith(staticDir + sep)) return res.writeHead(403).end();
      try {
        if (!statSync(file).isFile()) throw new Error('not a file');
      } catch {
        return res.writeHead(404).end();
      }
      return res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    }
    return problem(res, 404, 'not-found', 'Not found', `no route \`${req.method} ${path}\``);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) problem(res, 500, 'internal', 'Internal error', e.message);
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    audit,
    close: () =>
      new Promise((done) => {
        active.engine.free();
        server.close(done);
        server.closeAllConnections();
      }),
  };
}
