/**
 * What every market-data source implements: one poll returns candidate ticks (not yet checked
 * against the contract; the quality gates do that) and payloads it could not read at all.
 */
export interface Provider {
  /** Provider id, also the `source` of its ticks (e.g. `simulator`, `alpaca`). */
  readonly name: string;
  poll(signal?: AbortSignal): Promise<PollResult>;
  /** Circuit state and retry counts for `/stats`; absent for providers without an HTTP edge. */
  health?(): { circuit: "closed" | "open" | "halfOpen"; retries: number };
  close?(): void;
}

export interface PollResult {
  /** Candidate ticks in the contract's Avro shape (decimals as strings, times in µs). */
  ticks: unknown[];
  /** One message per payload (or payload part) that was not in the provider's format. */
  malformed: string[];
}
