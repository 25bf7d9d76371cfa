import type { RunHandle } from "../runs/ledger.ts";
import type { RunKind, RunTally } from "../runs/run.ts";

/**
 * What a polling market-data source implements: one poll returns candidate ticks (not yet checked
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
  /** Records read and deliberately not offered, by reason (counted under `records.skipped`). */
  skipped?: Partial<Record<SkipReason, number>>;
}

/**
 * Why a provider record is not offered as a tick: an Alpaca stream cancel (`T:"x"`) or correction
 * (`T:"c"`) whose original trade is not in the recent-trade index, so its identity (event time) is
 * unknown; it is counted and logged, never guessed.
 */
export type SkipReason = "unresolved_cancel" | "unresolved_correction";

/** How candidates are offered: `history` ones (gap recovery, backfill, old replays) skip the staleness gate. */
export interface OfferMode {
  history?: boolean;
  /** The run the candidates belong to, credited with what becomes of them (see `runs/ledger.ts`). */
  run?: RunTally;
}

/** What became of the candidates of one offer. */
export interface OfferOutcome {
  accepted: number;
  rejected: number;
  /** Candidates refused because the buffer was full (the producer is slower than the source). */
  dropped: number;
  /** Symbols and event-time span (µs) of the dropped candidates, for recovery from history. */
  droppedSpan?: { symbols: string[]; fromMicros: number; toMicros: number };
}

/**
 * Where a streaming source delivers: the same gates, dedupe, buffer and forwarder as polls.
 * Pull-based sources (history, file replays) wait for `room` so they never drop.
 */
export interface TickSink {
  offer(result: PollResult, mode?: OfferMode): OfferOutcome;
  /**
   * Resolves once the buffer can take `records` more (or at least its capacity), with how many it
   * can take now; 0 only when the signal aborted.
   */
  room(records: number, signal?: AbortSignal): Promise<number>;
  /**
   * Starts a run of this provider (a stream session, a gap recovery, a backfill): what is offered
   * through the run's `sink` is counted under it. Absent where runs are not kept (unit tests).
   */
  begin?(kind: Exclude<RunKind, "poll">, detail?: Record<string, unknown>): RunScope;
}

/** A run begun on a sink: offer through `sink`, then end `run`. */
export interface RunScope {
  run: RunHandle;
  sink: TickSink;
}

/**
 * Offers a large result in slices that fit the buffer, waiting for room between them, so a
 * pull-based source (history, replay, backfill) never drops. Outcomes are summed.
 *
 * @example
 *   await offerPaced(sink, page, { history: true }, signal);
 */
export async function offerPaced(
  sink: TickSink,
  result: PollResult,
  mode: OfferMode,
  signal?: AbortSignal,
): Promise<OfferOutcome> {
  const total: OfferOutcome = { accepted: 0, rejected: 0, dropped: 0 };
  let malformed = result.malformed;
  let skipped = result.skipped;
  let next = 0;
  do {
    const room = await sink.room(result.ticks.length - next, signal);
    if (signal?.aborted || room === 0) break;
    const ticks = result.ticks.slice(next, next + room);
    next += ticks.length;
    const outcome = sink.offer({ ticks, malformed, skipped }, mode);
    malformed = [];
    skipped = undefined;
    total.accepted += outcome.accepted;
    total.rejected += outcome.rejected;
    total.dropped += outcome.dropped;
    if (outcome.droppedSpan) total.droppedSpan = outcome.droppedSpan;
  } while (next < result.ticks.length);
  return total;
}

/** A readiness check of one provider. */
export interface ProviderCheck {
  ok: boolean;
  detail?: string;
}

/**
 * What a streaming source implements: it runs on its own once started (connections, reconnects,
 * gap recovery) and delivers to the sink; `/stats` shows `view()`, `/readyz` shows `check()`.
 */
export interface StreamProvider {
  readonly name: string;
  start(sink: TickSink): void;
  /** Closes connections and stops recovery; resolves when nothing more will be offered. */
  stop(): Promise<void>;
  view(): Record<string, unknown>;
  check(): ProviderCheck;
  /** Disconnects until `resume` (an operator's pause); absent where a stream cannot pause. */
  pause?(): Promise<void>;
  resume?(): void;
  readonly paused?: boolean;
}
