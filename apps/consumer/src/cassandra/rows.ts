import {
  BARS_1M,
  barWriter,
  latestQuoteWriter,
  partitionDay,
  type RowWriter,
  tickWriter,
  timestampBytes,
  versionBytes,
} from "@repo/cassandra";
import type { Bar } from "@repo/contracts";
import type { ConsumerTick } from "../tick/decode.ts";

/**
 * A table's statement and the values it binds for a record. The columns and their encoding are
 * `@repo/cassandra`'s row writers; this module adds the consumer's write timestamps.
 */
export type RowMapping<T> = RowWriter<T>;

/** One row per tick identity in `ticks` (absent optionals unset, `cancelled` only when true). */
export const tickRow: RowMapping<ConsumerTick> = tickWriter;

/** FNV-1a of `text`: a stable 32-bit spread for write-timestamp tiebreaks. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The write timestamp of a `latest_quotes` row: its event time (µs) × 1024 plus a tiebreak from its
 * source and sequence. Ordered by event time, so last-write-wins keeps the tick with the latest
 * event time whatever the arrival order; two ticks of one symbol in the same microsecond (a trade
 * and a quote) get different timestamps, so the row is always one tick, never cells of both.
 * Within a microsecond one source's ticks are ordered by sequence (modulo 1024).
 */
export const latestVersion = (tick: ConsumerTick) => ({
  base: tick.eventTime,
  tiebreak: (fnv1a(tick.source) + (tick.sequence % 1024)) & 1023,
});

/** The newest tick per symbol in `latest_quotes`, written `USING TIMESTAMP` {@link latestVersion}. */
export const latestRow: RowMapping<ConsumerTick> = {
  ...latestQuoteWriter,
  values: (tick) => {
    const values = latestQuoteWriter.values(tick);
    const { base, tiebreak } = latestVersion(tick);
    values.push(versionBytes(base, tiebreak));
    return values;
  },
};

/**
 * A minute's bar as one member sees it: `seen` is how much of the minute it folded (1 per standing
 * trade, 2 per cancelled identity: `MinuteAggregate.seen`), `bar` undefined when every trade it
 * holds is cancelled (the row is deleted).
 */
export interface MinuteBar {
  symbol: string;
  start: number;
  bar: Bar | undefined;
  seen: number;
}

/**
 * The write timestamp of a bar row: (its minute's start + what the minute has seen) × 1024 plus a
 * tiebreak from its values. Stored ticks only grow and an identity only goes from standing to
 * cancelled, so the bar that folded the most is the complete one and last-write-wins keeps it
 * whatever order the writes land in (a revoked member finishing late, a retry, a replay); a bar
 * after a cancel (fewer trades) still outranks the stale one. Two different bars with the same
 * `seen` get different timestamps, so a row is always one bar, never columns of two. Close to the
 * minute's time (1,000 trades ≈ 1 s later), so time-window compaction still groups bars by when
 * they happened. Without cancels `seen` is the trade count.
 */
export const barVersion = (bar: Bar, seen: number = bar.trades) => ({
  base: bar.start + seen,
  tiebreak:
    fnv1a(`${bar.open}|${bar.high}|${bar.low}|${bar.close}|${bar.volume}|${bar.vwap}`) & 1023,
});

/** A minute whose every trade is cancelled: its bar row is deleted above every version before. */
export const barDeletion = (minute: { start: number; seen: number }) => ({
  base: minute.start + minute.seen,
  tiebreak: 1023,
});

/** Deletes a minute's bar row `USING TIMESTAMP` {@link barDeletion}. */
export const barDeleteRow: RowMapping<MinuteBar> = {
  table: BARS_1M.name,
  columns: ["symbol", "day", "minute"] satisfies (keyof typeof BARS_1M.columns)[],
  insert: `DELETE FROM ${BARS_1M.name} USING TIMESTAMP ? WHERE symbol = ? AND day = ? AND minute = ?`,
  values: (minute) => {
    const { base, tiebreak } = barDeletion(minute);
    return [
      versionBytes(base, tiebreak),
      minute.symbol,
      partitionDay(minute.start),
      timestampBytes(minute.start),
    ];
  },
};

/** One row per symbol and minute in `bars_1m`, versioned by {@link barVersion}. */
export const barRow: RowMapping<MinuteBar> = {
  ...barWriter,
  values: ({ bar, seen }) => {
    if (!bar) throw new Error("a minute without a bar is deleted (barDeleteRow), not written");
    const values = barWriter.values(bar);
    const { base, tiebreak } = barVersion(bar, seen);
    values.push(versionBytes(base, tiebreak));
    return values;
  },
};
