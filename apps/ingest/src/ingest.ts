import type { Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import type { TickBuffer } from "./forward/buffer.ts";
import type {
  OfferMode,
  OfferOutcome,
  PollResult,
  Provider,
  SkipReason,
  StreamProvider,
  TickSink,
} from "./providers/provider.ts";
import type { createQualityGates } from "./quality/gates.ts";
import type { RunLedger } from "./runs/ledger.ts";
import { addTo, type Run, type RunTrigger } from "./runs/run.ts";
import {
  type DropReason,
  ingestStats,
  METRIC,
  type PolledProviderView,
  type Rejection,
} from "./stats.ts";

const SAMPLES_PER_REASON = 5;
const SAMPLE_EVERY = 1000;

export interface IngestOptions {
  stats: Stats;
  log: Logger;
  gates: ReturnType<typeof createQualityGates>;
  buffer: TickBuffer;
  /** Wakes the forwarder after records were buffered. */
  onBuffered: () => void;
  /** Keeps runs (polls here; stream sessions, gap recoveries and backfills through `sinkFor`). */
  ledger?: RunLedger;
  nowMicros?: () => number;
}

/**
 * The path every tick takes into the buffer: quality gates, then the bounded buffer. Polls and
 * streams share it (`poll` for scheduled providers, `sinkFor` for streaming ones). Failures are
 * counted per provider and never thrown, so a bad provider cannot stop the others.
 *
 * @example
 *   const ingest = createIngest({ stats, log, gates, buffer, onBuffered: forwarder.notify });
 *   await ingest.poll(simulator);
 *   alpacaStream.start(ingest.sinkFor("alpaca"));
 */
export function createIngest(options: IngestOptions) {
  const { stats, log, gates, buffer, ledger } = options;
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const lastSuccessAt = new Map<string, string>();
  let dropping = false;

  function reject(reason: Rejection, detail: string, sample: unknown, provider: string) {
    const counter = stats.counter(METRIC.rejected(reason));
    counter.add();
    if (counter.value <= SAMPLES_PER_REASON || counter.value % SAMPLE_EVERY === 0) {
      log.warn(
        { reason, detail, provider, sample, rejectedSoFar: counter.value },
        "record rejected",
      );
    }
  }

  /** Counts records that will never reach the producer, by reason. */
  function drop(count: number, reason: DropReason) {
    if (count <= 0) return;
    stats.counter(METRIC.dropped).add(count);
    stats.counter(METRIC.droppedByReason(reason)).add(count);
  }

  /**
   * Runs candidates through the gates into the buffer. Once the buffer is full, the remaining
   * candidates are dropped before the gates see them, so a dropped tick is not remembered as seen
   * and its copy from history (gap recovery) still passes.
   */
  function offer(provider: string, result: PollResult, mode: OfferMode = {}): OfferOutcome {
    const { run } = mode;
    stats.counter(METRIC.fetched).add(result.ticks.length + result.malformed.length);
    if (run) run.fetched += result.ticks.length + result.malformed.length;
    for (const [reason, count] of Object.entries(result.skipped ?? {})) {
      if (count) stats.counter(METRIC.skipped(reason as SkipReason)).add(count);
      if (run && count) addTo(run.skipped, reason, count);
    }
    for (const message of result.malformed)
      reject("malformed_payload", message, undefined, provider);
    if (run) addTo(run.refused, "malformed_payload", result.malformed.length);
    const now = nowMicros();
    const room = Math.max(0, buffer.capacity - buffer.size);
    const accepted: Tick[] = [];
    let rejected = result.malformed.length;
    let dropped = 0;
    const droppedSymbols = new Set<string>();
    let fromMicros = Number.POSITIVE_INFINITY;
    let toMicros = Number.NEGATIVE_INFINITY;
    for (const candidate of result.ticks) {
      if (accepted.length >= room) {
        dropped += 1;
        const { symbol, eventTime } = (candidate ?? {}) as {
          symbol?: unknown;
          eventTime?: unknown;
        };
        if (typeof symbol === "string" && typeof eventTime === "number") {
          droppedSymbols.add(symbol);
          fromMicros = Math.min(fromMicros, eventTime);
          toMicros = Math.max(toMicros, eventTime);
        }
        continue;
      }
      const verdict = gates.check(candidate, now, mode);
      if (!verdict.ok) {
        rejected += 1;
        reject(verdict.reason, verdict.detail, candidate, provider);
        if (run) addTo(run.refused, verdict.reason);
        continue;
      }
      accepted.push(verdict.tick);
      if (verdict.tick.cancelled) stats.counter(METRIC.cancels).add();
      else if (
        verdict.tick.kind === "QUOTE" &&
        (verdict.tick.bid === null || verdict.tick.ask === null)
      )
        stats.counter(METRIC.oneSidedQuotes).add();
      if (run) {
        if (ledger) ledger.claim(verdict.tick, run);
        else run.accepted += 1;
      }
      if (verdict.reanchored) {
        stats.counter(METRIC.reanchored).add();
        log.info(
          { provider, symbol: verdict.tick.symbol, ...verdict.reanchored },
          "price moved beyond the jump threshold and held; re-anchored",
        );
      }
    }
    buffer.offer(accepted);
    drop(dropped, "buffer_full");
    if (run) run.dropped += dropped;
    if (dropped > 0 && !dropping) {
      log.warn(
        { provider, dropped, capacity: buffer.capacity },
        "buffer full (the producer is slower than the sources); dropping newest records",
      );
    } else if (dropped === 0 && dropping && accepted.length > 0) {
      log.info(
        { provider, droppedSoFar: stats.counter(METRIC.droppedByReason("buffer_full")).value },
        "buffer has room again",
      );
    }
    if (dropped > 0 || accepted.length > 0) dropping = dropped > 0;
    if (accepted.length > 0) options.onBuffered();
    const outcome: OfferOutcome = { accepted: accepted.length, rejected, dropped };
    if (droppedSymbols.size > 0)
      outcome.droppedSpan = { symbols: [...droppedSymbols].sort(), fromMicros, toMicros };
    return outcome;
  }

  /** Polls once as a run (`trigger` says who asked); resolves the run as it ended, when runs are kept. */
  async function poll(
    provider: Provider,
    signal?: AbortSignal,
    trigger: RunTrigger = "schedule",
  ): Promise<Run | undefined> {
    stats.counter(METRIC.polls).add();
    const run = ledger?.begin({ provider: provider.name, kind: "poll", trigger });
    let result: PollResult;
    try {
      result = await provider.poll(signal);
    } catch (error) {
      stats.counter(METRIC.providerErrors(provider.name)).add();
      log.warn({ provider: provider.name, err: (error as Error).message }, "poll failed");
      run?.end(signal?.aborted ? "interrupted" : "failed", (error as Error).message);
      return run?.view();
    }
    stats.counter(METRIC.providerOk(provider.name)).add();
    lastSuccessAt.set(provider.name, new Date().toISOString());
    offer(provider.name, result, run ? { run: run.tally } : {});
    run?.end("ok");
    return run?.view();
  }

  /** Resolves once the buffer can take `records` more (at most its capacity), with its free room; 0 on abort. */
  async function room(records: number, signal?: AbortSignal): Promise<number> {
    const needed = Math.min(Math.max(1, records), buffer.capacity);
    while (buffer.capacity - buffer.size < needed && !signal?.aborted) await sleep(20, signal);
    return signal?.aborted ? 0 : buffer.capacity - buffer.size;
  }

  /** The sink a streaming provider (or a backfill) delivers to, counted under its name. */
  function sinkFor(provider: string, trigger: RunTrigger = "stream"): TickSink {
    const sink: TickSink = {
      offer: (result, mode) => offer(provider, result, mode),
      room,
    };
    if (ledger)
      sink.begin = (kind, detail) => {
        const run = ledger.begin({ provider, kind, trigger, detail });
        return {
          run,
          sink: {
            offer: (result, mode) => offer(provider, result, { ...mode, run: run.tally }),
            room,
          },
        };
      };
    return sink;
  }

  /** The body of `/stats` (see `ingestStats`). */
  function snapshot(
    polled: readonly PolledProviderView[],
    streams: readonly StreamProvider[] = [],
  ) {
    return ingestStats(stats, {
      buffer,
      lastSuccessAt: (name) => lastSuccessAt.get(name),
      polled,
      streams,
    });
  }

  return { poll, offer, room, sinkFor, drop, snapshot };
}

export type Ingest = ReturnType<typeof createIngest>;
