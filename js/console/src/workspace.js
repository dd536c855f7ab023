// The console's working copy of the rules folder: the source files (YAML ones editable),
// what they hold (decisions, processes), and the bundle built from them in the browser with
// the engine in wasm, its test report, and the comparison with the active bundle.

import { Engine, build } from '@cpm/engine';

import { YamlFile } from './yamlfile.js';

function byPath(a, b) {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** A rules folder held in memory: `files` as `[{ path, text }]`. */
export class Workspace {
  constructor(files) {
    this.files = new Map();
    for (const f of [...files].sort(byPath)) {
      this.files.set(f.path, { path: f.path, original: f.text, yaml: /\.ya?ml$/i.test(f.path) ? new YamlFile(f.path, f.text) : null });
    }
    /** The last build: `{ type, errors, warnings, bundleHash? }`. */
    this.built = null;
    this.engine = null;
    this.report = null;
    this.queue = Promise.resolve();
  }

  /** The current text of every file, sorted by path (what `build` and the edge read). */
  sources() {
    return [...this.files.values()].map((f) => ({ path: f.path, text: f.yaml ? f.yaml.text : f.original }));
  }

  /** Paths of the files whose text differs from what the edge gave. */
  changed() {
    return [...this.files.values()].filter((f) => f.yaml && f.yaml.text !== f.original).map((f) => f.path);
  }

  /** The YAML file at `path`. */
  yaml(path) {
    return this.files.get(path)?.yaml ?? null;
  }

  /** Every decision written in a YAML model: `{ name, path, index, kind }`, by name. */
  decisions() {
    const out = [];
    for (const f of this.files.values()) {
      const data = f.yaml?.data;
      if (!data || typeof data.model !== 'string' || !Array.isArray(data.decisions)) continue;
      data.decisions.forEach((d, index) => {
        const kind = d?.table ? 'table' : d?.expression !== undefined ? 'expression' : d?.context ? 'context' : 'other';
        out.push({ name: String(d?.name), path: f.path, index, kind, model: data.model });
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every process file: `{ name, path }`, by name. */
  processes() {
    const out = [];
    for (const f of this.files.values()) {
      const data = f.yaml?.data;
      if (data && typeof data.process === 'string' && Array.isArray(data.steps)) out.push({ name: data.process, path: f.path });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The names with spaces a FEEL text in `path` may use: the model's inputs, decisions and
   * knowledge models, or a process's data, form fields and decision results, plus every
   * decision of the folder.
   */
  names(path) {
    const names = new Set(this.decisions().map((d) => d.name));
    const data = this.yaml(path)?.data ?? {};
    for (const key of ['inputs', 'decisions', 'knowledge', 'data']) {
      for (const item of Array.isArray(data[key]) ? data[key] : []) if (item?.name) names.add(String(item.name));
    }
    for (const step of Array.isArray(data.steps) ? data.steps : []) {
      if (step?.as) names.add(String(step.as));
      for (const field of Array.isArray(step?.task?.form) ? step.task.form : []) if (field?.name) names.add(String(field.name));
    }
    return [...names];
  }

  /**
   * Builds the current sources in wasm, then runs the bundle's test cases. Rebuilds run one
   * after the other, so the last edit's build is the one kept.
   */
  rebuild() {
    const next = this.queue.then(() => this.#rebuild());
    this.queue = next.catch(() => undefined);
    return next;
  }

  async #rebuild() {
    const result = await build(this.sources());
    this.engine?.free();
    this.engine = null;
    this.report = null;
    this.built = result;
    if (result.type === 'success') {
      this.engine = await Engine.load(result.bundle);
      this.report = this.engine.runTests();
    }
    return result;
  }
}

function outcome(engine, decision, input) {
  const answer = JSON.parse(engine.decideJson(decision, JSON.stringify(input), { explain: false }));
  if (answer.type === 'success') return { output: answer.output };
  return { error: answer.errors?.[0]?.code ?? 'failure' };
}

/**
 * The recorded test cases (of the active bundle) whose outcome the edited bundle changes:
 * `[{ model, test, decision, input, before, after }]`, `before`/`after` being `{ output }` or
 * `{ error }`. Every decision a case checks is decided by both bundles.
 */
export function compareOnTests(activeEngine, activeReport, editedEngine) {
  const changes = [];
  for (const t of activeReport.tests) {
    for (const check of t.checks) {
      const before = outcome(activeEngine, check.decision, t.input);
      const after = outcome(editedEngine, check.decision, t.input);
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        changes.push({ model: t.model, test: t.test, decision: check.decision, input: t.input, before, after });
      }
    }
  }
  return changes;
}
