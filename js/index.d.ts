// Types of @cpm/engine (index.js and node.js export the same API).

/** Bundle bytes as written by `cpm build` or `build()`. */
export type BundleBytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Where the wasm comes from: a URL, a fetch `Response`, its bytes, or a compiled module. */
export type WasmSource =
  | string
  | URL
  | Response
  | Promise<Response>
  | BufferSource
  | WebAssembly.Module;

/** Options of one decision request. */
export interface DecideOptions {
  /** Include the explanation (default `true`). */
  explain?: boolean;
}

/** A rule that contributed to a table's result. */
export interface FiredRule {
  /** 1-based position in the table. */
  index: number;
  /** The rule's id. */
  id: string;
  /** The rule's annotation. */
  note?: string;
}

/** How one decision was reached. */
export interface DecisionTrace {
  decision: string;
  kind: 'table' | 'expression' | 'context';
  output: unknown;
  /** Tables only: the hit policy as written in DMN (`UNIQUE`, `COLLECT SUM`, …). */
  hitPolicy?: string;
  /** Tables only: each input column's expression and value. */
  inputs?: { expression: string; value: unknown }[];
  /** Tables only: the rules that produced the result, in output order. */
  fired?: FiredRule[];
}

/**
 * A decision's answer. Numbers are JS numbers parsed from the exact decimals of the
 * canonical JSON; use `decideJson` when every digit matters.
 */
export interface DecisionAnswer<Output = unknown> {
  type: 'success';
  decision: string;
  output: Output;
  bundleHash: string;
  /** Present unless `{ explain: false }`. */
  explanation?: { decisions: DecisionTrace[] };
}

/**
 * The `code` of a `CpmError` thrown because a request went past a limit (see `limits()`):
 * - `input-too-large`: input nested deeper than `inputDepth` levels (the input object
 *   counts as one), a string or object key longer than `inputStringBytes` UTF-8 bytes, or
 *   more than `inputListItems` elements in one array or entries in one object; `path` names
 *   the offending value (`Data[0][0]`, `Customer.notes`);
 * - `fuel-exhausted`: evaluation took more than `evaluationFuel` steps (a `for` over a huge
 *   range, nested loops);
 * - `depth-exceeded`: evaluation nested deeper than `evaluationDepth` (runaway recursion of
 *   a knowledge model);
 * - `too-large`: a list built during evaluation would exceed `evaluationListItems`;
 * - `template-error`: a rendered template is longer than `templateOutputBytes`;
 * - `step-limit`: one event ran more than `processStepsPerEvent` process steps;
 * - `malformed-request`: a JS value nested more than 128 levels (or cyclic), or JSON text
 *   the JSON reader refuses (it also stops at 128 levels).
 * Expressions nested deeper than `expressionNesting` do not build: `build()` answers a
 * failure whose diagnostics have the code `feel-syntax`.
 */
export type LimitErrorCode =
  | 'input-too-large'
  | 'fuel-exhausted'
  | 'depth-exceeded'
  | 'too-large'
  | 'template-error'
  | 'step-limit'
  | 'malformed-request';

/** Every `code` a decision request can fail with. Process operations add the codes of docs/processes.md. */
export type ErrorCode =
  | 'unknown-decision'
  | 'invalid-input'
  | 'input-type'
  | 'hit-policy-violation'
  | 'bad-bundle'
  | ZoneDataErrorCode
  | LimitErrorCode;

/**
 * The codes of `@cpm/engine/decide`'s time-zone data (its wasm has no database compiled in):
 * `zone-data-missing` (a request met a named zone before the data was loaded),
 * `zone-data-unavailable` (fetching it failed), `bad-zone-data` (not a zone-data file, or
 * damaged). The whole engine never gives them.
 */
export type ZoneDataErrorCode = 'zone-data-missing' | 'zone-data-unavailable' | 'bad-zone-data';

/** The limits of `limits()`: the core's constants, the same in every build (edge, browser, CLI). */
export interface Limits {
  /** Levels of arrays and objects in an input, the input object included (64). */
  inputDepth: number;
  /** UTF-8 bytes of one string or object key in an input (262144). */
  inputStringBytes: number;
  /** Elements of one array, or entries of one object, in an input (100000). */
  inputListItems: number;
  /** Evaluation steps per decision (10000000). */
  evaluationFuel: number;
  /** Nesting of evaluation: calls, knowledge-model invocations (128). */
  evaluationDepth: number;
  /** Elements of a list built during evaluation (1000000). */
  evaluationListItems: number;
  /** Nesting of a FEEL expression the compiler accepts (100). */
  expressionNesting: number;
  /** Bytes of one rendered template text (262144). */
  templateOutputBytes: number;
  /** Process steps one event may run (1000). */
  processStepsPerEvent: number;
}

/** One error of a failed request, in the core's vocabulary. */
export interface ErrorDetail {
  /** Stable code: one of `ErrorCode` for decisions (the limit codes are `LimitErrorCode`). */
  code: ErrorCode | string;
  message: string;
  help?: string;
  /** The failing input path (`Customer.age`), for input errors. */
  path?: string;
}

/** What `Engine.load`, `decide` and `build` throw: a JS `Error` with the error's fields. */
export interface CpmError extends Error {
  name: 'CpmError';
  /** Stable code: one of `ErrorCode` (limits: `LimitErrorCode`), or a process code. */
  code: ErrorCode | string;
  /** The same text as `message`. */
  detail: string;
  path?: string;
  help?: string;
  /** Every error of the failed request (decide only). */
  errors?: ErrorDetail[];
}

/** A process answer (shapes in docs/processes.md): `case`, `effects`, `applied`, `tasks`, `processes`, …. */
export interface ProcessAnswer {
  type: 'success';
  [field: string]: unknown;
}

/** A build error or warning. */
export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  help?: string;
  location?: { file: string; line: number; column: number };
  source?: string;
}

/** The outcome of `build`. */
export type BuildResult =
  | { type: 'success'; bundle: Uint8Array; bundleHash: string; warnings: Diagnostic[] }
  | { type: 'failure'; errors: Diagnostic[]; warnings: Diagnostic[] };

/** A decision of a bundle. */
export interface DecisionInfo {
  name: string;
  model: string;
  kind: 'table' | 'expression' | 'context';
  /** The declared type, or `null`. */
  type: string | null;
  inputs: { name: string; type: string }[];
}

/** One expected decision value of a test case, and what the bundle gives. */
export interface TestCheck {
  decision: string;
  expected: unknown;
  /** Present when the decision was made. */
  actual?: unknown;
  /** Present when the decision failed. */
  error?: ErrorDetail;
  passed: boolean;
}

/** The outcome of one test case a model carries. */
export interface TestCaseResult {
  model: string;
  test: string;
  input: Record<string, unknown>;
  passed: boolean;
  checks: TestCheck[];
}

/** What `runTests` answers; `passed` and `failed` count test cases. */
export interface TestReport {
  bundleHash: string;
  passed: number;
  failed: number;
  tests: TestCaseResult[];
}

/** A FEEL syntax problem found by `checkFeel`. */
export interface FeelProblem {
  code: 'feel-syntax';
  message: string;
  /** Line in the text, from 1. */
  line: number;
  /** Column in characters on that line, from 1. */
  column: number;
  /** Byte offsets (UTF-8) of the offending part: start, and one past the end. */
  start: number;
  end: number;
}

/** A loaded rules bundle, ready to answer decision requests. */
export class Engine {
  private constructor();
  /** Loads a bundle; rejects with a `CpmError` (`bad-bundle`) when the bytes are not one. */
  static load(bundleBytes: BundleBytes): Promise<Engine>;
  /** The bundle's content hash (lowercase hex SHA-256). */
  readonly bundleHash: string;
  /**
   * Evaluates a decision. Input numbers become the shortest decimal that reads back as the
   * same double (`0.1` stays `0.1`); pass inputs needing more than 15 significant digits
   * as JSON text to `decideJson`. Throws a `CpmError` when the decision cannot be made.
   */
  decide<Output = unknown>(
    name: string,
    input?: Record<string, unknown>,
    options?: DecideOptions,
  ): DecisionAnswer<Output>;
  /** Evaluates a decision for JSON input text; returns the canonical JSON answer (success or failure). */
  decideJson(name: string, inputJson: string, options?: DecideOptions): string;
  /** The processes a contact starts (docs/processes.md, intake); throws a `CpmError` on failure. */
  intake(contact: Record<string, unknown>): ProcessAnswer;
  /** Starts a case: `{ type: 'success', case, effects }`; a data problem throws with one error per field. */
  startCase(request: {
    process: string;
    key: string;
    now: string;
    data?: Record<string, unknown>;
    contact?: unknown;
    id?: string;
  }): ProcessAnswer;
  /** Applies an event to a case (as a previous answer gave it) at `now` (RFC 3339). */
  apply(caseState: unknown, event: Record<string, unknown>, now: string): ProcessAnswer;
  /** Rebuilds a case from its events, `started` first. */
  replay(events: unknown[], now?: string): ProcessAnswer;
  /** The open tasks of some cases at `now`, oldest first. */
  tasks(cases: unknown[], options: { now: string; queue?: string }): ProcessAnswer;
  /** KPIs of some cases at `now`, per process. */
  kpis(cases: unknown[], now: string): ProcessAnswer;
  /** A process operation on JSON text, answering canonical JSON text (success or failure). */
  processJson(op: 'intake' | 'start' | 'apply' | 'replay' | 'tasks' | 'kpis', requestJson: string): string;
  /** The bundle's decisions, sorted by name. */
  decisions(): { bundleHash: string; decisions: DecisionInfo[] };
  /** Runs every test case the bundle carries. */
  runTests(): TestReport;
  /** Frees the engine's wasm memory now. */
  free(): void;
}

/** Compiles source files (the cpm YAML/JSON model format) into a bundle. */
export function build(files: { path: string; text: string }[]): Promise<BuildResult>;

/** The limits every request is held to; each has its `LimitErrorCode`. */
export function limits(): Promise<Limits>;

/** Loads the wasm module once (optional: `Engine.load` and `build` call it). */
export function init(wasm?: WasmSource): Promise<void>;

/** Sets the wasm source `init()` uses by default (node.js uses it to read from disk). */
export function setDefaultWasmSource(source: () => WasmSource | Promise<WasmSource>): void;

/**
 * Checks the syntax of one FEEL text (a table input cell: `'unary-tests'`; an output cell or
 * a condition: `'expression'`); `names` are the multi-word names it may use. Returns `[]`
 * when valid. The wasm must be initialised (`init()`, `build` or `Engine.load`).
 */
export function checkFeel(
  text: string,
  options: { kind: 'unary-tests' | 'expression'; names?: string[] },
): FeelProblem[];
