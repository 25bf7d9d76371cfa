import {
  BARS_1M,
  bigintBytes,
  decimalBytes,
  LATEST_QUOTES,
  partitionDay,
  TICKS,
  timestampBytes,
  versionBytes,
} from "@repo/cassandra";
import type { Bar, Tick } from "@repo/contracts";

/** Column name → how to compute its bound value from a record. */
type Columns<T> = Record<string, (value: T) => unknown>;

/**
 * A table's row mapping: named columns, the INSERT generated from them, and the bound values in
 * the same order. No statement is written by hand, so a column cannot be bound out of place.
 */
export interface RowMapping<T> {
  table: string;
  /** The columns the INSERT binds, in order. */
  columns: string[];
  insert: string;
  values(record: T): unknown[];
}

function mapping<T>(table: string, columns: Columns<T>, suffix = ""): RowMapping<T> {
  const names = Object.keys(columns);
  const compute = Object.values(columns);
  return {
    table,
    columns: names,
    insert: `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})${suffix}`,
    values: (record) => {
      const values = new Array<unknown>(compute.length);
      for (let i = 0; i < compute.length; i += 1)
        values[i] = (compute[i] as Columns<T>[string])(record);
      return values;
    },
  };
}

/**
 * Every Tick field with the column(s) it is stored in. Keyed by the generated Tick type, so adding
 * a field to `schemas/Tick.avsc` fails to compile here until it is mapped (or stored nowhere, `{}`).
 */
type TickFieldColumns = { [K in keyof Tick]: Columns<Tick> };

/**
 * The columns both tick tables store, with an absent optional bound as `absent`. Partition-key
 * columns (symbol, day) are typed values the driver routes by; the others are encoded here
 * ({@link bigintBytes}, {@link decimalBytes}, {@link timestampBytes}).
 */
function sharedTickColumns(absent: null | undefined): TickFieldColumns {
  const optional = <T, R>(value: T | null, encode: (value: T) => R) =>
    value === null ? absent : encode(value);
  return {
    symbol: { symbol: (t) => t.symbol },
    eventTime: {
      event_time_us: (t) => bigintBytes(t.eventTime),
      event_time: (t) => timestampBytes(t.eventTime),
    },
    source: { source: (t) => t.source },
    sequence: { sequence: (t) => bigintBytes(t.sequence) },
    kind: { kind: (t) => t.kind },
    price: { price: (t) => decimalBytes(t.price) },
    size: { size: (t) => bigintBytes(t.size) },
    bid: { bid: (t) => optional(t.bid, decimalBytes) },
    ask: { ask: (t) => optional(t.ask, decimalBytes) },
    bidSize: { bid_size: (t) => optional(t.bidSize, bigintBytes) },
    askSize: { ask_size: (t) => optional(t.askSize, bigintBytes) },
    exchange: { exchange: (t) => optional(t.exchange, String) },
    ingestTime: { ingest_time_us: (t) => bigintBytes(t.ingestTime) },
    // Cancels never reach latest_quotes (the consumer leaves them out), so nothing to store.
    cancelled: {},
  };
}

/** Unset (not null) for an absent optional: no tombstones in the time series. */
const stored = sharedTickColumns(undefined);
const tickColumns: TickFieldColumns = {
  ...stored,
  eventTime: { day: (t) => partitionDay(t.eventTime), ...stored.eventTime },
  // Written only when true, unset otherwise: a cancel stays cancelled whichever of the cancel and
  // the trade lands first and however often either is replayed.
  cancelled: { cancelled: (t) => (t.cancelled ? true : undefined) },
};

/** Explicit nulls: the latest tick replaces every column of the previous one. */
const latestColumns = sharedTickColumns(null);

const flatten = <T>(fields: Record<string, Columns<T>>): Columns<T> =>
  Object.assign({}, ...Object.values(fields));

/** One row per tick identity in `ticks`. */
export const tickRow = mapping(TICKS.name, flatten(tickColumns));

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
export const latestVersion = (tick: Tick) => ({
  base: tick.eventTime,
  tiebreak: (fnv1a(tick.source) + (tick.sequence % 1024)) & 1023,
});

/** The newest tick per symbol in `latest_quotes`, written `USING TIMESTAMP` {@link latestVersion}. */
export const latestRow: RowMapping<Tick> = (() => {
  const row = mapping(LATEST_QUOTES.name, flatten(latestColumns), " USING TIMESTAMP ?");
  return {
    ...row,
    values: (tick) => {
      const { base, tiebreak } = latestVersion(tick);
      return [...row.values(tick), versionBytes(base, tiebreak)];
    },
  };
})();

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
  columns: ["symbol", "day", "minute"],
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
export const barRow: RowMapping<MinuteBar> = (() => {
  const columns: Columns<Bar> = {
    symbol: (b) => b.symbol,
    day: (b) => partitionDay(b.start),
    minute: (b) => timestampBytes(b.start),
    open: (b) => decimalBytes(b.open),
    high: (b) => decimalBytes(b.high),
    low: (b) => decimalBytes(b.low),
    close: (b) => decimalBytes(b.close),
    volume: (b) => bigintBytes(b.volume),
    vwap: (b) => decimalBytes(b.vwap),
    trades: (b) => bigintBytes(b.trades),
    updated_at: () => new Date(),
  };
  const row = mapping(BARS_1M.name, columns, " USING TIMESTAMP ?");
  return {
    ...row,
    values: ({ bar, seen }) => {
      if (!bar) throw new Error("a minute without a bar is deleted (barDeleteRow), not written");
      const { base, tiebreak } = barVersion(bar, seen);
      return [...row.values(bar), versionBytes(base, tiebreak)];
    },
  };
})();
