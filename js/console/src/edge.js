// The edge's admin API as the console uses it (docs/edge.md): the active bundle, its source
// files, and publishing. Requests go to the page's own origin (the edge serves the console
// under /console/; `npm run dev` proxies /v1 to the edge).

const TOKEN_KEY = 'cpm-console-admin-token';

/** The admin token typed by the user: kept in sessionStorage only (gone with the tab). */
export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value) => {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** A failed request: `status`, and the RFC 9457 problem document when the edge sent one. */
export class EdgeError extends Error {
  constructor(status, problem, fallback) {
    super(problem?.detail ?? problem?.title ?? fallback);
    this.name = 'EdgeError';
    this.status = status;
    this.problem = problem ?? null;
  }
}

async function request(method, path, { body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new EdgeError(0, null, `the edge cannot be reached (${e.message})`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) throw new EdgeError(response.status, json, `${method} ${path} answered ${response.status}`);
  return { status: response.status, json };
}

/** `GET /v1/bundle`: the active bundle's description (hash, origin, decisions, …). */
export async function activeBundle() {
  return (await request('GET', '/v1/bundle')).json;
}

/** `GET /v1/bundle/sources`: `{ bundleHash, files: [{ path, text }] }`. */
export async function activeSources() {
  return (await request('GET', '/v1/bundle/sources')).json;
}

/**
 * `PUT /v1/bundles`: publishes `files` (built by the edge, tested, made active). Answers
 * `{ status, json }` (201 new, 200 already active); throws an `EdgeError` with the problem.
 */
export async function publish({ files, bundleHash, comment, adminToken }) {
  const headers = adminToken ? { authorization: `Bearer ${adminToken}` } : {};
  const body = { files, bundleHash };
  if (comment) body.comment = comment;
  return request('PUT', '/v1/bundles', { body, headers });
}

/**
 * The lines a person reads for a refused publish: a summary by status and code, then every
 * listed error (build diagnostics, failed test checks).
 */
export function explainProblem(error) {
  const p = error.problem ?? {};
  const summary = {
    0: error.message,
    401: 'Publishing needs the admin token: type it in the token field and publish again.',
    403:
      p.code === 'publishing-disabled'
        ? 'Publishing is disabled on this edge: no admin token is configured (Spin variable admin_tokens).'
        : 'The edge refused this admin token.',
    409: 'The edge built a different bundle from these files than the browser did (hash mismatch).',
    413: 'The sources are larger than the edge accepts in one request.',
    422:
      p.code === 'tests-failed'
        ? 'The edge ran the test cases and some failed: nothing was published.'
        : 'The edge could not build these files: nothing was published.',
  }[error.status] ?? `The edge answered ${error.status}: ${p.title ?? error.message}.`;
  const lines = [summary];
  if (p.detail && p.detail !== summary && error.status !== 0) lines.push(p.detail);
  for (const e of p.errors ?? []) lines.push(describeError(e));
  return lines;
}

function describeError(e) {
  if (e.code === 'test-failed') {
    const got = e.error !== undefined ? `error ${e.error.code ?? ''} ${e.error.message ?? JSON.stringify(e.error)}` : JSON.stringify(e.actual);
    return `${e.model} / ${e.test} / ${e.decision}: expected ${JSON.stringify(e.expected)}, got ${got}`;
  }
  const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : '';
  const source = e.source ? ` (in \`${e.source}\`)` : '';
  const help = e.help ? ` — ${e.help}` : '';
  return `${where}${e.code ? `${e.code}: ` : ''}${e.message ?? e.detail ?? JSON.stringify(e)}${source}${help}`;
}
