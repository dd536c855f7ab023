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
  ZoneDataErrorCode,
} from './index.js';

/**
 * A loaded rules bundle, ready to answer decision requests: the decisions of `@cpm/engine`'s
 * `Engine`, with the same answers and the same `CpmError`s, and nothing else.
 */
export class Engine {
  private constructor();
  /**
   * Loads a bundle, and the time-zone data first when the bundle could meet a named zone
   * (see `loadZoneData`); rejects with a `CpmError`: `bad-bundle` when the bytes are not
   * one, `zone-data-unavailable` or `bad-zone-data` when the zone data cannot be loaded.
   */
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

/** What `loadZoneData` installed: the IANA tz database release and how many zone names it resolves. */
export interface ZoneDataInfo {
  /** The release, e.g. `2026f`. */
  version: string;
  /** Zone names, links included (598 in 2026f). */
  names: number;
}

/** The time-zone data file: a URL, a `Response`, or its bytes (gzipped or not). */
export type ZoneDataSource = string | URL | Response | BufferSource;

/**
 * Loads the rules of named time zones (`@Europe/Paris`) once for every engine of this entry.
 * `Engine.load` calls it for bundles that could meet a named zone; call it yourself to
 * preload, or to fetch the file from elsewhere. By default `pkg-decide/tzdata.bin` next to
 * the glue (in Node: read from disk). Rejects with a `CpmError`: `zone-data-unavailable`
 * (the fetch failed; a later call tries again) or `bad-zone-data`.
 */
export function loadZoneData(source?: ZoneDataSource): Promise<ZoneDataInfo>;

/** Sets the source `loadZoneData()` uses by default (decide-node.js uses it to read from disk). */
export function setDefaultZoneDataSource(source: () => ZoneDataSource | Promise<ZoneDataSource>): void;
