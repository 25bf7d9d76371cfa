/**
 * The row mapping of `ticks` and `latest_quotes` (both store a tick in the same columns), both
 * ways: each Tick field, the column it is read from and how ({@link tickReader}, generic over the
 * decimal type; longs are numbers as in the contract), and the columns it is written to
 * ({@link tickWriter}, {@link latestQuoteWriter}, through which the consumer writes).
 */

import { LATEST_QUOTES, TICKS } from "../layout/market.ts";
import { columnList } from "../layout/table.ts";
import { partitionDay } from "../local-date.ts";
import { bigintBytes, decimalBytes, textBytes, timestampBytes } from "./encode.ts";
import { type DecimalOf, longOf, optional, type RowLike, textDecimalList } from "./row.ts";
import { type ColumnWrites, mergeWrites, type RowWriter, rowWriter } from "./write.ts";

/** A tick as stored, decimals as `D`; the api's `Tick` is `StoredTick<string>`. */
export interface StoredTick<D> {
  source: string;
  symbol: string;
  kind: "TRADE" | "QUOTE";
  /** µs since the epoch. */
  eventTime: number;
  sequence: number;
  price: D;
  size: number;
  bid: D | null;
  ask: D | null;
  bidSize: number | null;
  askSize: number | null;
  exchange: string | null;
  /** µs since the epoch; 0 when unset. */
  ingestTime: number;
  /** The provider cancelled the trade (stored, marked, in no bar); false when unset. */
  cancelled: boolean;
}

export type TickField = keyof StoredTick<unknown>;

/** A column `ticks` and `latest_quotes` both have. */
type TickColumn = keyof typeof TICKS.columns & keyof typeof LATEST_QUOTES.columns;

interface FieldColumn {
  column: TickColumn;
  read(stored: unknown, decimal: DecimalOf<unknown>): unknown;
}

/** Every tick field with the column it is read from and how its stored value becomes the field. */
const TICK_FIELDS: { [K in TickField]-?: FieldColumn } = {
  source: { column: "source", read: (stored) => stored as string },
  symbol: { column: "symbol", read: (stored) => stored as string },
  kind: { column: "kind", read: (stored) => stored as StoredTick<unknown>["kind"] },
  eventTime: { column: "event_time_us", read: longOf },
  sequence: { column: "sequence", read: longOf },
  price: { column: "price", read: (stored, decimal) => decimal(stored) },
  size: { column: "size", read: longOf },
  bid: { column: "bid", read: (stored, decimal) => optional(stored, decimal) },
  ask: { column: "ask", read: (stored, decimal) => optional(stored, decimal) },
  bidSize: { column: "bid_size", read: (stored) => optional(stored, longOf) },
  askSize: { column: "ask_size", read: (stored) => optional(stored, longOf) },
  exchange: { column: "exchange", read: (stored) => (stored ?? null) as string | null },
  ingestTime: { column: "ingest_time_us", read: (stored) => optional(stored, longOf) ?? 0 },
  cancelled: { column: "cancelled", read: (stored) => stored === true },
};

const ALL_FIELDS = Object.keys(TICK_FIELDS) as TickField[];

/** Reads the chosen fields of a tick row; `columns` is what to select for them. */
export interface TickReader<T> {
  /** The columns to select (the same names in `ticks` and `latest_quotes`), comma-separated. */
  columns: string;
  /** The same columns with each decimal selected as text ({@link textDecimalList}). */
  textColumns: string;
  read(row: RowLike): T;
}

/**
 * A reader of `ticks`/`latest_quotes` rows: the `fields` asked (every field by default) with
 * decimals turned into `D` by `decimal`; select `columns` and nothing is missing.
 *
 * @example
 *   const ticks = tickReader((stored) => canonicalDecimal(String(stored)));
 *   const rows = await client.execute(`SELECT ${ticks.columns} FROM ${TICKS.name} WHERE …`);
 *   rows.rows.map(ticks.read); // StoredTick<string>[]
 *   tickReader(String, ["symbol", "price"]).read(row); // { symbol: "AAPL", price: "187.250000" }
 */
export function tickReader<D, F extends TickField = TickField>(
  decimal: DecimalOf<D>,
  fields: readonly F[] = ALL_FIELDS as F[],
): TickReader<Pick<StoredTick<D>, F>> {
  const reads = fields.map((field) => [field, TICK_FIELDS[field]] as const);
  const names = reads.map(([, { column }]) => column);
  return {
    columns: columnList(TICKS, names),
    textColumns: textDecimalList(TICKS, names),
    read(row) {
      const tick: Record<string, unknown> = {};
      for (const [field, { column, read }] of reads) tick[field] = read(row.get(column), decimal);
      return tick as Pick<StoredTick<D>, F>;
    },
  };
}

/**
 * A tick as the writers take it: the contract's `Tick`, each decimal as plain text or as a count of
 * millionths (the consumer's fast reader: `DecimalValue`); both are written as the same bytes.
 */
type WrittenTick = StoredTick<string | number>;

/**
 * Every tick field with the column(s) it is written to and how, an absent optional bound as
 * `absent`. Partition-key columns (symbol, day) are typed values the driver routes by; the others
 * are pre-encoded (`encode.ts`). Keyed by {@link TickField}: a new field does not compile until its
 * columns are declared here (or `{}`: stored nowhere).
 */
function tickWrites(absent: null | undefined): {
  [K in TickField]-?: ColumnWrites<TickColumn, WrittenTick>;
} {
  const optional = <T, R>(value: T | null, encode: (value: T) => R) =>
    value === null ? absent : encode(value);
  return {
    symbol: { symbol: (t) => t.symbol },
    eventTime: {
      event_time_us: (t) => bigintBytes(t.eventTime),
      event_time: (t) => timestampBytes(t.eventTime),
    },
    source: { source: (t) => textBytes(t.source) },
    sequence: { sequence: (t) => bigintBytes(t.sequence) },
    kind: { kind: (t) => textBytes(t.kind) },
    price: { price: (t) => decimalBytes(t.price) },
    size: { size: (t) => bigintBytes(t.size) },
    bid: { bid: (t) => optional(t.bid, decimalBytes) },
    ask: { ask: (t) => optional(t.ask, decimalBytes) },
    bidSize: { bid_size: (t) => optional(t.bidSize, bigintBytes) },
    askSize: { ask_size: (t) => optional(t.askSize, bigintBytes) },
    exchange: { exchange: (t) => optional(t.exchange, textBytes) },
    ingestTime: { ingest_time_us: (t) => bigintBytes(t.ingestTime) },
    // Cancels never reach latest_quotes (the consumer leaves them out), so nothing to store there.
    cancelled: {},
  };
}

/** Unset (not null) for an absent optional: no tombstones in the time series. */
const seriesWrites = tickWrites(undefined);

/**
 * One row per tick identity in `ticks`. `cancelled` is written only when true, unset otherwise: a
 * cancel stays cancelled whichever of the cancel and the trade lands first and however often
 * either is replayed.
 *
 * @example
 *   await client.execute(tickWriter.insert, tickWriter.values(tick), { prepare: true });
 */
export const tickWriter: RowWriter<WrittenTick> = rowWriter(TICKS, {
  day: (t: WrittenTick) => partitionDay(t.eventTime),
  ...mergeWrites(seriesWrites),
  cancelled: (t: WrittenTick) => (t.cancelled ? true : undefined),
});

/**
 * The newest tick per symbol in `latest_quotes`, explicit nulls for absent optionals (the latest
 * tick replaces every column of the previous one), `USING TIMESTAMP ?`: the caller appends the write
 * timestamp to {@link RowWriter.values} (the consumer's `latestVersion`).
 *
 * @example
 *   const values = latestQuoteWriter.values(tick);
 *   values.push(versionBytes(tick.eventTime, 0));
 *   await client.execute(latestQuoteWriter.insert, values, { prepare: true });
 */
export const latestQuoteWriter: RowWriter<WrittenTick> = rowWriter(
  LATEST_QUOTES,
  mergeWrites(tickWrites(null)),
  { usingTimestamp: true },
);
