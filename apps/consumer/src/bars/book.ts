import { dayOf, type MinuteAggregate } from "./bar.ts";
import type { Lateness } from "./lateness.ts";

/**
 * 2^17 slots ≈ 4 MB of final minutes in their grace (a minute of ≈ 32,000–65,000 trades). In a
 * drain no final minute is touched again, so what they hold is dead weight; a backfill's minutes
 * stay whatever their size ({@link RECENTLY_TOUCHED_MS}).
 */
const DEFAULT_MAX_FINAL_SLOTS = 2 ** 17;
/** Final minutes touched this recently are kept whatever the slot budget says. */
const RECENTLY_TOUCHED_MS = 1000;

/**
 * The bars of the minutes still open (not yet final by the lateness rule) for the partitions this
 * member owns, kept in memory so a busy minute is read from Cassandra once, not once per batch,
 * and what this member knows about the minutes it holds no aggregate for.
 *
 * A minute without an aggregate here is **fresh** when no stored trade of it can be missing from an
 * aggregate started empty: it lies after its symbol's *horizon* (the newest event time Cassandra
 * held for the symbol's day before this member wrote any tick of it since taking its partition:
 * every older record of the partition is at most that new) and after every minute this member
 * evicted for the symbol (whose trades it no longer holds). Any other minute (after a restart, a
 * rebalance, a late trade of an evicted minute) is rebuilt from the stored ticks by the caller.
 * Final minutes are evicted, so memory follows the open window.
 *
 * @example
 *   const book = createMinuteBook(lateness);
 *   book.setHorizon("AAPL", t, newest, "market.ticks\u00003", book.epoch);
 *   book.isFresh("AAPL", start) ? book.put(new MinuteAggregate("AAPL", start), partition) : rebuild();
 *   book.forgetPartitions(["market.ticks\u00003"]); // on revoke
 */
export function createMinuteBook(
  lateness: Lateness,
  options: {
    /** How long a final minute stays after its last touch (a backfill touches it batch after batch). */
    finalGraceMs?: number;
    /** Final minutes kept in their grace period at most (the oldest-touched go first). */
    maxFinalKept?: number;
    /**
     * Table slots (≈ 31 bytes each, {@link MinuteAggregate.slots}) final minutes may hold while in
     * their grace, oldest-touched evicted first (default 2^17). A drain closes minutes faster than
     * the grace ends: at 25,000 ticks/s of a busy market ≈ 15 final minutes of ≈ 37,500 trades each
     * would wait (≈ 3 MB each).
     */
    maxFinalSlots?: number;
    now?: () => number;
  } = {},
) {
  const finalGraceMs = options.finalGraceMs ?? 30_000;
  const maxFinalKept = options.maxFinalKept ?? 10_000;
  const maxFinalSlots = options.maxFinalSlots ?? DEFAULT_MAX_FINAL_SLOTS;
  const now = options.now ?? Date.now;
  const minutes = new Map<string, MinuteAggregate>();
  /** When each minute in `minutes` was last put or touched. */
  const touchedAt = new Map<string, number>();
  const partitionOf = new Map<string, string>();
  /** Per `symbol|day`: the newest stored event time before this member's first write of it. */
  const horizons = new Map<string, number>();
  /** Per symbol: the start of the newest minute evicted (its trades are no longer held). */
  const evicted = new Map<string, number>();
  /**
   * Per symbol: the newest event time folded. Eviction follows this, not the lateness watermark,
   * which already includes batches still in flight: with a backlog, a partition's in-flight
   * records can span minutes of event time, and a minute evicted by them would be touched again
   * (and read back) when the batches before them finish.
   */
  const folded = new Map<string, number>();
  let epoch = 0;
  const key = (symbol: string, start: number) => `${symbol}|${start}`;
  const dayKey = (symbol: string, micros: number) => `${symbol}|${dayOf(micros)}`;
  return {
    get: (symbol: string, start: number) => minutes.get(key(symbol, start)),
    /** Keeps `aggregate`, remembering which partition its symbol arrives on. */
    put(aggregate: MinuteAggregate, partition: string) {
      const name = key(aggregate.symbol, aggregate.start);
      minutes.set(name, aggregate);
      touchedAt.set(name, now());
      partitionOf.set(aggregate.symbol, partition);
    },
    /** Notes that a batch folded trades into the minute (it keeps a final minute in its grace). */
    touch(symbol: string, start: number) {
      const name = key(symbol, start);
      if (minutes.has(name)) touchedAt.set(name, now());
    },
    /** The name of the horizon of `symbol` on the day containing `micros` (`symbol|YYYY-MM-DD`). */
    horizonName: dayKey,
    /** Whether the horizon named `name` ({@link horizonName}) is known. */
    hasHorizon: (name: string) => horizons.has(name),
    /**
     * Records a horizon read in `readEpoch`; ignored when partitions were revoked since (the read
     * may predate another member's writes).
     */
    setHorizon(
      symbol: string,
      micros: number,
      newest: number,
      partition: string,
      readEpoch: number,
    ) {
      if (readEpoch !== epoch) return;
      // Days long past are seldom touched again; an unknown horizon only means a read-back.
      if (horizons.size > 100_000) horizons.clear();
      horizons.set(dayKey(symbol, micros), newest);
      partitionOf.set(symbol, partition);
    },
    /** Whether the minute starting at `start` can start empty: see {@link createMinuteBook}. */
    isFresh(symbol: string, start: number): boolean {
      const horizon = horizons.get(dayKey(symbol, start));
      if (horizon === undefined || start <= horizon) return false;
      return start > (evicted.get(symbol) ?? Number.NEGATIVE_INFINITY);
    },
    /** Bumped on every revoke: a horizon read that started before it is not recorded. */
    get epoch() {
      return epoch;
    },
    /** Drops all this member knows about the symbols of `partitions` (another member owns them now). */
    forgetPartitions(partitions: string[]) {
      epoch += 1;
      const gone = new Set(partitions);
      const symbols = new Set<string>();
      for (const [symbol, partition] of partitionOf) {
        if (gone.has(partition)) symbols.add(symbol);
      }
      for (const [name, aggregate] of minutes) {
        if (!symbols.has(aggregate.symbol)) continue;
        minutes.delete(name);
        touchedAt.delete(name);
      }
      for (const name of horizons.keys()) {
        if (symbols.has(name.slice(0, name.indexOf("|")))) horizons.delete(name);
      }
      for (const symbol of symbols) {
        evicted.delete(symbol);
        folded.delete(symbol);
        partitionOf.delete(symbol);
      }
    },
    /** Notes ticks whose batch is finished: their minutes are folded (or dead-lettered). */
    observeFinished(ticks: { symbol: string; eventTime: number }[]) {
      for (const { symbol, eventTime } of ticks) {
        if (eventTime > (folded.get(symbol) ?? Number.NEGATIVE_INFINITY))
          folded.set(symbol, eventTime);
      }
    },
    /**
     * Drops minutes whose bar is final (the newest finished tick of their symbol is past their end +
     * allowance) once they were not touched for the grace period. A late minute (history, a
     * backfill, a recovered gap) is touched by batch after batch: kept, it is read back from
     * Cassandra once instead of once per batch. At most `maxFinalKept` final minutes wait.
     */
    evictFinal() {
      const at = now();
      const waiting: [string, MinuteAggregate, number][] = [];
      let slots = 0;
      const evict = (name: string, aggregate: MinuteAggregate) => {
        minutes.delete(name);
        touchedAt.delete(name);
        const newest = evicted.get(aggregate.symbol) ?? Number.NEGATIVE_INFINITY;
        if (aggregate.start > newest) evicted.set(aggregate.symbol, aggregate.start);
      };
      for (const [name, aggregate] of minutes) {
        if (!lateness.closedBy(folded.get(aggregate.symbol), aggregate.start)) continue;
        const touched = touchedAt.get(name) ?? 0;
        if (at - touched >= finalGraceMs) evict(name, aggregate);
        else {
          waiting.push([name, aggregate, touched]);
          slots += aggregate.slots;
        }
      }
      if (waiting.length <= maxFinalKept && slots <= maxFinalSlots) return;
      waiting.sort((a, b) => a[2] - b[2]);
      let kept = waiting.length;
      for (const [name, aggregate, touched] of waiting) {
        if (kept <= maxFinalKept && slots <= maxFinalSlots) break;
        // A minute a backfill touches batch after batch stays, however large: read back per batch
        // it would cost far more than it holds.
        if (kept <= maxFinalKept && at - touched < RECENTLY_TOUCHED_MS) break;
        evict(name, aggregate);
        kept -= 1;
        slots -= aggregate.slots;
      }
    },
    /** Final minutes kept for their grace period. */
    get finalKept() {
      let kept = 0;
      for (const aggregate of minutes.values()) {
        if (lateness.closedBy(folded.get(aggregate.symbol), aggregate.start)) kept += 1;
      }
      return kept;
    },
    get size() {
      return minutes.size;
    },
  };
}

export type MinuteBook = ReturnType<typeof createMinuteBook>;
