import type { MinuteAggregate } from "./bar.ts";
import type { Lateness } from "./lateness.ts";

/**
 * The bars of the minutes still open (not yet final by the lateness rule) for the partitions this
 * member owns, kept in memory so a busy minute is read from Cassandra once, not once per batch.
 * A minute with no aggregate here (first touch, after a restart or a rebalance) is rebuilt from
 * the stored ticks by the caller. Final minutes are evicted, so memory follows the open window.
 *
 * @example
 *   const book = createMinuteBook(lateness);
 *   book.get("AAPL", start) ?? book.put(rebuilt, "market.ticks\u00003");
 *   book.forgetPartitions(["market.ticks\u00003"]); // on revoke
 */
export function createMinuteBook(lateness: Lateness) {
  const minutes = new Map<string, MinuteAggregate>();
  const partitionOf = new Map<string, string>();
  const key = (symbol: string, start: number) => `${symbol}|${start}`;
  return {
    get: (symbol: string, start: number) => minutes.get(key(symbol, start)),
    /** Keeps `aggregate`, remembering which partition its symbol arrives on. */
    put(aggregate: MinuteAggregate, partition: string) {
      minutes.set(key(aggregate.symbol, aggregate.start), aggregate);
      partitionOf.set(aggregate.symbol, partition);
    },
    /** Drops every minute of the symbols of `partitions` (revoked: another member owns them now). */
    forgetPartitions(partitions: string[]) {
      const gone = new Set(partitions);
      for (const [name, aggregate] of minutes) {
        if (gone.has(partitionOf.get(aggregate.symbol) ?? "")) minutes.delete(name);
      }
      for (const [symbol, partition] of partitionOf) {
        if (gone.has(partition)) partitionOf.delete(symbol);
      }
    },
    /** Drops minutes whose bar is final (the symbol's watermark passed their end + allowance). */
    evictFinal() {
      for (const [name, aggregate] of minutes) {
        if (lateness.isLate(aggregate.symbol, aggregate.start)) minutes.delete(name);
      }
    },
    get size() {
      return minutes.size;
    },
  };
}

export type MinuteBook = ReturnType<typeof createMinuteBook>;
