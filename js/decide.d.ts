// Types of @cpm/engine/decide (decide.js and decide-node.js export the same API): the
// decisions-only runtime. Its values and errors are those of @cpm/engine (index.d.ts).

import type {
  BundleBytes,
  DecideOptions,
  DecisionAnswer,
  DecisionInfo,
  Limits,
  WasmSource,
} from './index.js';

export type {
  BundleBytes,
  CpmError,
  DecideOptions,
  DecisionAnswer,
  DecisionInfo,
  DecisionTrace,
  ErrorCode,
  ErrorDetail,
  FiredRule,
  LimitErrorCode,
  Limits,
  WasmSource,
} from './index.js';

/**
 * A loaded rules bundle, ready to answer decision requests: the decisions of `@cpm/engine`'s
 * `Engine`, with the same answers and the same `CpmError`s, and nothing else.
 */
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
  /** The bundle's decisions, sorted by name. */
  decisions(): { bundleHash: string; decisions: DecisionInfo[] };
  /** Frees the engine's wasm memory now. */
  free(): void;
}

/** The limits every request is held to; each has its `LimitErrorCode`. */
export function limits(): Promise<Limits>;

/** Loads the decisions-only wasm module once (optional: `Engine.load` calls it). */
export function init(wasm?: WasmSource): Promise<void>;

/** Sets the wasm source `init()` uses by default (decide-node.js uses it to read from disk). */
export function setDefaultWasmSource(source: () => WasmSource | Promise<WasmSource>): void;
