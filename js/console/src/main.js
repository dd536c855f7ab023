// The business console: loads the active bundle's sources from the edge, edits decision
// tables and process routes, rebuilds and tests them in the browser after every change,
// compares them with the active bundle on the recorded test cases, and publishes them.

import { Engine, build, init } from '@cpm/engine';

import { h, replace, show } from './dom.js';
import { EdgeError, activeBundle, activeSources, explainProblem, publish, token } from './edge.js';
import { renderExpression, renderTable } from './grid.js';
import { renderProcess } from './process.js';
import { Workspace, compareOnTests } from './workspace.js';

const $ = (id) => document.getElementById(id);

const state = {
  /** `GET /v1/bundle` of the active bundle. */
  info: null,
  /** The active sources, an engine built from them, and its test report. */
  sources: [],
  activeEngine: null,
  activeReport: null,
  /** The working copy. */
  ws: null,
  /** What the editor shows: `{ type: 'decision' | 'process', name }`. */
  view: null,
  processState: { step: 0 },
  /** 1-based rule positions the last try matched, for the table shown. */
  fired: new Set(),
  tryValues: {},
};

const short = (hash) => (hash ? `${hash.slice(0, 12)}…` : '—');

async function loadActive() {
  const [info, sources] = await Promise.all([activeBundle(), activeSources()]);
  state.info = info;
  state.sources = sources.files;
  const built = await build(sources.files);
  state.activeEngine?.free();
  state.activeEngine = null;
  state.activeReport = null;
  if (built.type === 'success') {
    state.activeEngine = await Engine.load(built.bundle);
    state.activeReport = state.activeEngine.runTests();
  }
  const origin = info.origin === 'published' ? `published${info.publishedBy ? ` by ${info.publishedBy}` : ''}${info.publishedAt ? ` at ${info.publishedAt}` : ''}` : info.origin ?? 'embedded';
  const match = built.type === 'success' && built.bundleHash === info.bundleHash;
  replace(
    $('active'),
    'Active bundle ',
    h('code', { id: 'active-hash', title: info.bundleHash }, short(info.bundleHash)),
    ` (${origin})`,
    match ? '' : h('span', { class: 'warn' }, ' — its sources do not rebuild to this hash in the browser; comparisons use the rebuilt sources'),
  );
  await resetWorkspace();
}

async function resetWorkspace() {
  state.ws?.engine?.free();
  state.ws = new Workspace(state.sources);
  await state.ws.rebuild();
  renderAll();
}

function renderNav() {
  const current = state.view;
  const item = (type, name, extra) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'nav-item',
          'data-type': type,
          'data-name': name,
          'aria-current': current?.type === type && current.name === name ? 'true' : undefined,
          onclick: () => openView({ type, name }),
        },
        name,
        extra ? h('span', { class: 'kind' }, ` ${extra}`) : null,
      ),
    );
  replace(
    $('decision-list'),
    state.ws.decisions().map((d) => item('decision', d.name, d.kind === 'table' ? 'table' : d.kind)),
  );
  replace(
    $('process-list'),
    state.ws.processes().map((p) => item('process', p.name)),
  );
}

function openView(view) {
  if (state.view?.type !== view.type || state.view?.name !== view.name) {
    state.fired = new Set();
    state.tryValues = {};
    state.processState = { step: 0 };
  }
  state.view = view;
  renderAll();
  $('editor').focus();
}

/** Called after every edit: rebuild, re-test, re-render; `refocus` says which cell to focus. */
async function change(describe, error, refocus) {
  if (error) {
    replace($('edit-message'), h('span', { class: 'error' }, `Not changed: ${error.message}`));
    return;
  }
  replace($('edit-message'), describe);
  await state.ws.rebuild();
  renderAll(refocus);
}

function renderEditor(refocus) {
  const body = $('editor-body');
  const view = state.view;
  if (!view) {
    replace($('editor-title'), 'Choose a decision or a process');
    replace($('editor-file'), '');
    replace(body, h('p', {}, 'The list on the left holds every decision and process of the active rules.'));
    return;
  }
  if (view.type === 'decision') {
    const decision = state.ws.decisions().find((d) => d.name === view.name);
    replace($('editor-title'), `Decision ${view.name}`);
    if (!decision) {
      replace(body, h('p', { class: 'error' }, 'This decision is not in the edited YAML files any more (or the file does not parse).'));
      return;
    }
    replace($('editor-file'), `${decision.path} · model ${decision.model}`);
    if (decision.kind === 'table') renderTable(body, { workspace: state.ws, decision, change, fired: state.fired, focus: refocus });
    else if (decision.kind === 'expression') renderExpression(body, { workspace: state.ws, decision, change });
    else replace(body, h('p', {}, `A ${decision.kind} decision: edit it in its file (${decision.path}).`));
    return;
  }
  const proc = state.ws.processes().find((p) => p.name === view.name);
  replace($('editor-title'), `Process ${view.name}`);
  if (!proc) {
    replace(body, h('p', { class: 'error' }, 'This process is not in the edited YAML files any more (or the file does not parse).'));
    return;
  }
  replace($('editor-file'), proc.path);
  renderProcess(body, { workspace: state.ws, proc, change, state: state.processState });
}

function diagnosticLine(d) {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.column} ` : '';
  return `${where}${d.code}: ${d.message}${d.source ? ` (in \`${d.source}\`)` : ''}${d.help ? ` — ${d.help}` : ''}`;
}

function renderBuild() {
  const built = state.ws.built;
  const changed = state.ws.changed();
  $('revert').disabled = changed.length === 0;
  replace(
    $('edited'),
    changed.length === 0 ? 'No edits.' : `Edited: ${changed.join(', ')}`,
    built?.type === 'success' && changed.length > 0 ? h('span', {}, ' · bundle ', h('code', { id: 'edited-hash', title: built.bundleHash }, short(built.bundleHash))) : null,
  );
  const el = $('build');
  if (!built) return;
  el.dataset.state = built.type;
  const warnings = built.warnings.length
    ? h('details', {}, h('summary', {}, `${built.warnings.length} warning${built.warnings.length === 1 ? '' : 's'}`), h('ul', { class: 'diagnostics' }, built.warnings.map((w) => h('li', {}, diagnosticLine(w)))))
    : null;
  if (built.type === 'success') {
    replace(el, h('p', { class: 'ok' }, 'Builds in the browser: bundle ', h('code', { title: built.bundleHash }, short(built.bundleHash))), warnings);
  } else {
    replace(
      el,
      h('p', { class: 'error' }, `The build fails with ${built.errors.length} error${built.errors.length === 1 ? '' : 's'}:`),
      h('ul', { class: 'diagnostics', id: 'build-errors' }, built.errors.map((e) => h('li', {}, diagnosticLine(e)))),
      warnings,
    );
  }
}

function checkText(check) {
  const got = check.error ? `error ${check.error.code}: ${check.error.message}` : show(check.actual);
  return `${check.decision}: expected ${show(check.expected)}, got ${got}`;
}

function renderTests() {
  const el = $('tests');
  const report = state.ws.report;
  if (!report) {
    delete el.dataset.failed;
    replace(el, h('p', { class: 'hint' }, 'No test run: the edited rules do not build.'));
    return;
  }
  el.dataset.failed = String(report.failed);
  el.dataset.passed = String(report.passed);
  const failed = report.tests.filter((t) => !t.passed);
  replace(
    el,
    h('p', { class: report.failed ? 'error' : 'ok', id: 'tests-summary' }, `${report.passed} passed, ${report.failed} failed`),
    failed.length
      ? h(
          'ul',
          { class: 'failures', id: 'test-failures' },
          failed.map((t) => h('li', {}, h('strong', {}, `${t.model} / ${t.test}`), h('ul', {}, t.checks.filter((c) => !c.passed).map((c) => h('li', {}, checkText(c)))))),
        )
      : null,
    h('details', {}, h('summary', {}, 'Every test case'), h('ul', { class: 'all-tests' }, report.tests.map((t) => h('li', { class: t.passed ? 'ok' : 'error' }, `${t.passed ? '✓' : '✗'} ${t.model} / ${t.test}`)))),
  );
}

function outcomeText(o) {
  return o.error ? `error ${o.error}` : show(o.output);
}

function renderCompare() {
  const el = $('compare');
  if (!state.activeEngine || !state.activeReport) {
    replace(el, h('p', { class: 'hint' }, 'The active sources do not build in the browser: nothing to compare with.'));
    return;
  }
  if (!state.ws.engine) {
    delete el.dataset.changes;
    replace(el, h('p', { class: 'hint' }, 'Fix the build to compare.'));
    return;
  }
  const changes = compareOnTests(state.activeEngine, state.activeReport, state.ws.engine);
  el.dataset.changes = String(changes.length);
  const cases = new Set(changes.map((c) => `${c.model}\u0000${c.test}`)).size;
  if (changes.length === 0) {
    replace(el, h('p', { id: 'compare-summary' }, `No recorded case changes outcome (${state.activeReport.tests.length} cases compared).`));
    return;
  }
  replace(
    el,
    h('p', { id: 'compare-summary' }, `${cases === 1 ? 'This case' : `These ${cases} cases`} would change outcome:`),
    h(
      'table',
      { class: 'compare' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Case'), h('th', { scope: 'col' }, 'Decision'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
      h(
        'tbody',
        {},
        changes.map((c) => h('tr', {}, h('td', {}, c.test), h('td', {}, c.decision), h('td', {}, outcomeText(c.before)), h('td', {}, outcomeText(c.after)))),
      ),
    ),
  );
}

/** An input value as JSON text: numbers exactly as typed, booleans, JSON for structures. */
function jsonOf(type, text) {
  const t = text.trim();
  if (t === '') return 'null';
  if (type === 'number' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return t;
  if (type === 'boolean' && (t === 'true' || t === 'false')) return t;
  if (type === 'string') return JSON.stringify(text);
  try {
    JSON.parse(t);
    return t;
  } catch {
    return JSON.stringify(text);
  }
}

function renderTry() {
  const el = $('try');
  const view = state.view;
  const engine = state.ws.engine;
  if (view?.type !== 'decision') {
    replace(el, h('p', { class: 'hint' }, 'Open a decision to try it with your own inputs.'));
    return;
  }
  if (!engine) {
    replace(el, h('p', { class: 'hint' }, 'Fix the build to try the decision.'));
    return;
  }
  const info = engine.decisions().decisions.find((d) => d.name === view.name);
  if (!info) {
    replace(el, h('p', { class: 'hint' }, 'The edited bundle has no such decision.'));
    return;
  }
  const result = h('div', { id: 'try-result', role: 'status' });
  const fields = info.inputs.map((input, i) => {
    const id = `try-${i}`;
    const current = state.tryValues[input.name] ?? '';
    const control =
      input.type === 'boolean'
        ? h('select', { id, 'data-input': input.name }, ['', 'true', 'false'].map((v) => h('option', { value: v, selected: v === current }, v === '' ? '(null)' : v)))
        : h('input', { id, type: 'text', 'data-input': input.name, value: current, inputmode: input.type === 'number' ? 'decimal' : undefined, spellcheck: 'false' });
    return h('div', { class: 'field' }, h('label', { for: id }, input.name, h('span', { class: 'hint' }, ` ${input.type}`)), control);
  });
  const run = () => {
    const parts = info.inputs.map((input) => `${JSON.stringify(input.name)}:${jsonOf(input.type, state.tryValues[input.name] ?? '')}`);
    const answer = JSON.parse(engine.decideJson(view.name, `{${parts.join(',')}}`, { explain: true }));
    if (answer.type !== 'success') {
      result.dataset.state = 'error';
      replace(result, h('p', { class: 'error' }, answer.errors.map((e) => `${e.code}: ${e.message}`).join('; ')));
      state.fired = new Set();
    } else {
      result.dataset.state = 'success';
      const trace = answer.explanation?.decisions?.find((d) => d.decision === view.name);
      const fired = trace?.fired ?? [];
      state.fired = new Set(fired.map((f) => f.index));
      replace(
        result,
        h('p', {}, 'Output: ', h('code', { id: 'try-output' }, JSON.stringify(answer.output))),
        trace?.kind === 'table'
          ? h('p', { id: 'try-why' }, fired.length ? `Matched: ${fired.map((f) => `rule ${f.index} (${f.id})`).join(', ')}` : 'No rule matched: the defaults apply.')
          : null,
      );
    }
    for (const row of document.querySelectorAll('#rule-grid tbody tr')) row.classList.toggle('fired', state.fired.has(Number(row.dataset.rule)));
  };
  const cases = (state.ws.report?.tests ?? []).filter((t) => t.checks.some((c) => c.decision === view.name));
  const fill = h(
    'select',
    {
      id: 'try-fill',
      onchange: (e) => {
        const t = cases[Number(e.target.value)];
        if (!t) return;
        for (const input of info.inputs) {
          const v = t.input[input.name];
          state.tryValues[input.name] = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
        }
        renderTry();
      },
    },
    h('option', { value: '' }, '—'),
    cases.map((t, i) => h('option', { value: i }, t.test)),
  );
  const form = h('form', { id: 'try-form', onsubmit: (e) => e.preventDefault() }, h('div', { class: 'field' }, h('label', { for: 'try-fill' }, 'Fill from a test case'), fill), fields);
  form.addEventListener('input', (e) => {
    const name = e.target.dataset.input;
    if (name === undefined) return;
    state.tryValues[name] = e.target.value;
    run();
  });
  replace(el, form, result);
  if (Object.keys(state.tryValues).length) run();
}

function renderAll(refocus) {
  renderNav();
  renderEditor(refocus);
  renderBuild();
  renderTests();
  renderCompare();
  renderTry();
}

async function onPublish(e) {
  e.preventDefault();
  const out = $('publish-result');
  const button = $('publish');
  button.disabled = true;
  out.dataset.state = 'pending';
  replace(out, 'Publishing…');
  const built = state.ws.built;
  try {
    const { status, json } = await publish({
      files: state.ws.sources(),
      bundleHash: built?.type === 'success' ? built.bundleHash : undefined,
      comment: $('comment').value.trim(),
      adminToken: token.get(),
    });
    out.dataset.state = 'success';
    const tests = json?.tests ? ` The edge ran the test cases: ${json.tests.passed} checks passed.` : '';
    const message = status === 200 ? `Already active: bundle ${short(json?.bundleHash)}.` : `Published: bundle ${short(json?.bundleHash)} is now active (was ${short(json?.previous)}).${tests}`;
    const view = state.view;
    await loadActive();
    state.view = view;
    renderAll();
    replace(out, h('p', { class: 'ok', id: 'publish-message' }, message));
  } catch (err) {
    out.dataset.state = 'error';
    out.dataset.status = String(err instanceof EdgeError ? err.status : 0);
    const lines = err instanceof EdgeError ? explainProblem(err) : [err.message];
    replace(out, h('p', { class: 'error', id: 'publish-message' }, lines[0]), lines.length > 1 ? h('ul', { class: 'diagnostics', id: 'publish-errors' }, lines.slice(1).map((l) => h('li', {}, l))) : null);
  } finally {
    button.disabled = false;
    out.scrollIntoView({ block: 'nearest' });
  }
}

async function main() {
  $('token').value = token.get();
  $('token').addEventListener('input', (e) => token.set(e.target.value));
  $('publish-form').addEventListener('submit', onPublish);
  $('run-tests').addEventListener('click', () => {
    if (state.ws.engine) state.ws.report = state.ws.engine.runTests();
    renderTests();
  });
  $('revert').addEventListener('click', async () => {
    await resetWorkspace();
    replace($('edit-message'), 'Every edit reverted.');
  });
  try {
    await init();
    await loadActive();
    document.body.dataset.ready = 'true';
  } catch (err) {
    const text = err instanceof EdgeError ? explainProblem(err).join(' ') : err.message;
    replace($('active'), h('span', { class: 'error' }, `Cannot load the active bundle: ${text}`));
    document.body.dataset.ready = 'error';
  }
}

main();
