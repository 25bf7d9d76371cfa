import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import { offerPaced, type PollResult, type TickSink } from "../providers/provider.ts";
import type { Gap } from "./connection.ts";

export interface HistoryRequest {
  symbols: string[];
  /** Inclusive bounds, epoch milliseconds. */
  fromMs: number;
  toMs: number;
}

/** A provider's REST history of the ticks it streams, in pages. */
export interface HistorySource {
  pages(request: HistoryRequest, signal?: AbortSignal): AsyncIterable<PollResult>;
  /** How old an interval must be before the plan may read it (e.g. Basic's 15 min for SIP). */
  delayMs?: number;
  close?(): void;
}

export interface GapRecoveryOptions {
  provider: string;
  /** Absent when the provider has no history the plan can read: gaps are then only reported. */
  history?: HistorySource;
  log: Logger;
  /** Added before and after each gap, so ticks at its edges are fetched too (identities dedupe them). */
  overlapMs: number;
  /** Longest interval recovered; the older part of a longer gap is left to the backfill CLI. */
  maxMs: number;
  now?: () => number;
}

/** Pending gaps kept at most; beyond that the two closest are merged (memory stays bounded). */
const MAX_PENDING = 64;
const UNRECOVERED_SHOWN = 10;
const RECENT_SHOWN = 20;

/** A gap as `/streams` shows it: its range, why it happened and what became of it. */
export interface RecentGap {
  symbols: number;
  from: string;
  to: string;
  reason: Gap["reason"];
  status: "recovered" | "unrecovered";
  /** When it was recovered or given up. */
  at: string;
  accepted?: number;
  why?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Fills the gaps of a stream from the provider's history: each interval a disconnect (or a full
 * buffer) left is fetched page by page, one gap at a time, and offered to the sink as history (no
 * staleness gate), waiting for buffer room instead of dropping. The overlap with what the stream
 * delivered has the same identities, so the duplicate gate and the idempotent store absorb it.
 *
 * @example
 *   const recovery = createGapRecovery({ provider: "alpaca", history, log, overlapMs: 2000, maxMs: 6.5 * 3600e3 });
 *   recovery.start(sink);
 *   recovery.add({ symbols: ["AAPL"], fromMs, toMs, reason: "disconnect" });
 */
export function createGapRecovery(options: GapRecoveryOptions) {
  const { log, history } = options;
  const now = options.now ?? Date.now;
  const stopping = new AbortController();
  let pending: Gap[] = [];
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  let current: Gap | undefined;
  const counts = { gaps: 0, recovered: 0, fetched: 0, rejected: 0, failed: 0 };
  /** Gaps by outcome: detected (reported by the stream), recovered from history, not recovered. */
  const gapCounts = { detected: 0, recovered: 0, unrecovered: 0 };
  const unrecovered: { symbols: string[]; from: string; to: string; why: string }[] = [];
  const recent: RecentGap[] = [];
  let last: { from: string; to: string; accepted: number; ms: number } | undefined;

  function remember(gap: Gap, status: RecentGap["status"], extra: Partial<RecentGap> = {}) {
    recent.push({
      symbols: gap.symbols.length,
      from: iso(gap.fromMs),
      to: iso(gap.toMs),
      reason: gap.reason,
      status,
      at: iso(now()),
      ...extra,
    });
    if (recent.length > RECENT_SHOWN) recent.shift();
  }

  function giveUp(gap: Gap, why: string) {
    gapCounts.unrecovered += 1;
    remember(gap, "unrecovered", { why });
    unrecovered.push({ symbols: gap.symbols, from: iso(gap.fromMs), to: iso(gap.toMs), why });
    if (unrecovered.length > UNRECOVERED_SHOWN) unrecovered.shift();
  }

  function add(gap: Gap) {
    counts.gaps += 1;
    gapCounts.detected += 1;
    let fromMs = gap.fromMs - options.overlapMs;
    const toMs = gap.toMs + options.overlapMs;
    if (toMs - fromMs > options.maxMs) {
      log.warn(
        {
          provider: options.provider,
          from: iso(fromMs),
          to: iso(toMs),
          recoveredFrom: iso(toMs - options.maxMs),
        },
        "gap longer than INGEST_GAP_MAX_MS; recovering its newest part only; backfill the rest",
      );
      giveUp({ ...gap, fromMs, toMs: toMs - options.maxMs }, "longer than INGEST_GAP_MAX_MS");
      fromMs = toMs - options.maxMs;
    }
    const widened = { ...gap, fromMs, toMs };
    if (!history) {
      log.warn(
        { provider: options.provider, from: iso(fromMs), to: iso(toMs), reason: gap.reason },
        "stream gap: this provider has no history to recover it from",
      );
      giveUp(widened, "no history for this provider");
      return;
    }
    pending = merge([...pending, widened]);
    wake?.();
  }

  async function recover(gap: Gap, sink: TickSink) {
    const started = now();
    const wait = gap.toMs + (history?.delayMs ?? 0) - now();
    if (wait > 0) await sleep(wait, stopping.signal);
    if (stopping.signal.aborted || !history) return;
    log.info(
      {
        provider: options.provider,
        symbols: gap.symbols.length,
        from: iso(gap.fromMs),
        to: iso(gap.toMs),
        reason: gap.reason,
      },
      "recovering a stream gap from history",
    );
    let accepted = 0;
    const scope = sink.begin?.("gap_recovery", {
      symbols: gap.symbols,
      from: iso(gap.fromMs),
      to: iso(gap.toMs),
      reason: gap.reason,
    });
    const target = scope?.sink ?? sink;
    try {
      for await (const page of history.pages(
        { symbols: gap.symbols, fromMs: gap.fromMs, toMs: gap.toMs },
        stopping.signal,
      )) {
        const outcome = await offerPaced(target, page, { history: true }, stopping.signal);
        if (stopping.signal.aborted) {
          scope?.run.end("interrupted");
          return;
        }
        counts.fetched += page.ticks.length;
        counts.rejected += outcome.rejected;
        accepted += outcome.accepted;
        if (outcome.droppedSpan)
          add({
            symbols: outcome.droppedSpan.symbols,
            fromMs: Math.floor(outcome.droppedSpan.fromMicros / 1000),
            toMs: Math.ceil(outcome.droppedSpan.toMicros / 1000),
            reason: "dropped",
          });
      }
      counts.recovered += accepted;
      gapCounts.recovered += 1;
      last = { from: iso(gap.fromMs), to: iso(gap.toMs), accepted, ms: now() - started };
      remember(gap, "recovered", { accepted });
      scope?.run.end("ok");
      log.info({ provider: options.provider, ...last }, "stream gap recovered");
    } catch (error) {
      if (stopping.signal.aborted) {
        scope?.run.end("interrupted");
        return;
      }
      scope?.run.end("failed", (error as Error).message);
      counts.recovered += accepted;
      counts.failed += 1;
      giveUp(gap, (error as Error).message);
      log.error(
        {
          provider: options.provider,
          from: iso(gap.fromMs),
          to: iso(gap.toMs),
          err: (error as Error).message,
        },
        "stream gap not recovered; run the backfill CLI for this interval",
      );
    }
  }

  async function run(sink: TickSink) {
    while (!stopping.signal.aborted) {
      current = pending.shift();
      if (!current) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          stopping.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = undefined;
        continue;
      }
      await recover(current, sink);
      current = undefined;
    }
  }

  return {
    add,
    start(sink: TickSink) {
      loop ??= run(sink);
    },
    async stop() {
      stopping.abort();
      wake?.();
      await loop;
      history?.close?.();
    },
    /** Whether no gap is waiting or being recovered. */
    get idle() {
      return current === undefined && pending.length === 0;
    },
    view() {
      return {
        available: history !== undefined,
        ...counts,
        pending: pending.length + (current ? 1 : 0),
        gapsByOutcome: { ...gapCounts, pending: pending.length + (current ? 1 : 0) },
        last: last ?? null,
        unrecovered,
        recent,
      };
    },
  };
}

/** Sorts gaps and merges those that overlap; past MAX_PENDING, merges the closest neighbours. */
export function merge(gaps: Gap[]): Gap[] {
  const sorted = [...gaps].sort((a, b) => a.fromMs - b.fromMs);
  const merged: Gap[] = [];
  for (const gap of sorted) {
    const previous = merged.at(-1);
    if (previous && gap.fromMs <= previous.toMs) merged[merged.length - 1] = join(previous, gap);
    else merged.push(gap);
  }
  while (merged.length > MAX_PENDING) {
    let closest = 0;
    for (let i = 1; i < merged.length - 1; i += 1) {
      const gapAfter = (merged[i + 1] as Gap).fromMs - (merged[i] as Gap).toMs;
      const best = (merged[closest + 1] as Gap).fromMs - (merged[closest] as Gap).toMs;
      if (gapAfter < best) closest = i;
    }
    merged.splice(closest, 2, join(merged[closest] as Gap, merged[closest + 1] as Gap));
  }
  return merged;
}

function join(a: Gap, b: Gap): Gap {
  return {
    symbols: [...new Set([...a.symbols, ...b.symbols])].sort(),
    fromMs: Math.min(a.fromMs, b.fromMs),
    toMs: Math.max(a.toMs, b.toMs),
    reason: a.reason === b.reason ? a.reason : "disconnect",
  };
}
