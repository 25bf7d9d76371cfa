import { isAfter, newestBySymbol } from "../batch/plan.ts";
import type { ConsumerTick } from "../tick/decode.ts";

/** How often at most a symbol's latest quote is rewritten while a backlog keeps superseding it. */
export const DEFAULT_LATEST_REFRESH_MS = 1000;

/** Symbols whose last write time is kept at most (the oldest entries go first past it). */
const MAX_TRACKED_SYMBOLS = 100_000;

/**
 * Which latest quotes a finished batch writes. A row of `latest_quotes` is the symbol's newest tick
 * (last write wins on event-time write timestamps), so a batch's newest tick of a symbol need not
 * be written when a batch polled after it (in flight, uncommitted) holds a tick of the symbol at
 * least as new: that batch writes it, and if this member stops first, whoever replays the
 * uncommitted batch does. During a backlog most symbols are superseded batch after batch, so
 * without this every batch wrote one row per symbol (7–12 % more rows than ticks in the bench's
 * 300-symbol mix); now a symbol is written at most once per `refreshMs` while superseded, and
 * always by the last batch in flight.
 *
 * A skipped tick is kept as a candidate and offered again with the next batch, so it is written
 * if the newer tick never is (Cassandra refused it, or its partition moved to another member):
 * writing an older candidate late is harmless, its write timestamp is older. Only a crash in that
 * window, with the newer tick refused for its data, leaves the row at an older tick until the
 * symbol's next one.
 *
 * @example
 *   const latest = createLatestQuotes();
 *   const due = latest.due(written, laterBatches.map((b) => b.ticks));
 *   await store.writeLatest(due);
 *   latest.written(due);
 */
export function createLatestQuotes(options: { refreshMs?: number; now?: () => number } = {}) {
  const refreshMs = options.refreshMs ?? DEFAULT_LATEST_REFRESH_MS;
  const now = options.now ?? performance.now.bind(performance);
  /** Per symbol: the newest tick not written yet because a later batch supersedes it. */
  const candidates = new Map<string, ConsumerTick>();
  /** Per symbol: when its latest quote was last written. */
  const writtenAt = new Map<string, number>();
  /** Newest tick per symbol of a later batch's ticks, computed once per batch. */
  const newestOf = new WeakMap<ConsumerTick[], Map<string, ConsumerTick>>();

  const newestIn = (ticks: ConsumerTick[]) => {
    let newest = newestOf.get(ticks);
    if (!newest) {
      newest = newestBySymbol(ticks);
      newestOf.set(ticks, newest);
    }
    return newest;
  };

  return {
    /**
     * The ticks to write now for a batch whose durable ticks are `written`, given the ticks of the
     * batches polled after it that are still in flight (in poll order): every symbol's newest tick,
     * less those a later batch supersedes and that were written within `refreshMs`.
     */
    due(written: ConsumerTick[], later: ConsumerTick[][]): ConsumerTick[] {
      const newest = newestBySymbol(written);
      for (const [symbol, candidate] of candidates) {
        const current = newest.get(symbol);
        if (!current || isAfter(candidate, current)) newest.set(symbol, candidate);
      }
      candidates.clear();
      const at = now();
      const due: ConsumerTick[] = [];
      for (const [symbol, tick] of newest) {
        const last = writtenAt.get(symbol);
        if (last !== undefined && at - last < refreshMs && supersedes(later, symbol, tick)) {
          candidates.set(symbol, tick);
          continue;
        }
        due.push(tick);
      }
      return due;
    },
    /** Notes that `ticks` are durable in `latest_quotes`. */
    written(ticks: ConsumerTick[]) {
      const at = now();
      for (const tick of ticks) {
        writtenAt.delete(tick.symbol);
        writtenAt.set(tick.symbol, at);
      }
      while (writtenAt.size > MAX_TRACKED_SYMBOLS) {
        writtenAt.delete(writtenAt.keys().next().value as string);
      }
    },
    /** Candidates waiting for a later batch (for tests and `/stats`). */
    get waiting() {
      return candidates.size;
    },
  };

  function supersedes(later: ConsumerTick[][], symbol: string, tick: ConsumerTick): boolean {
    for (const ticks of later) {
      const newer = newestIn(ticks).get(symbol);
      if (newer && !isAfter(tick, newer)) return true;
    }
    return false;
  }
}

export type LatestQuotes = ReturnType<typeof createLatestQuotes>;
