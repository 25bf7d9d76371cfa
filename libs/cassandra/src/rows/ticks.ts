/**
 * The read mapping of `ticks` and `latest_quotes` rows (both store a tick in the same columns):
 * each Tick field, the column it is read from and how. Generic over the decimal type; longs are
 * numbers as in the contract. The consumer's `tickRow`/`latestRow` write these columns.
 */

import { type LATEST_QUOTES, TICKS } from "../layout/market.ts";
import { columnList } from "../layout/table.ts";
import { type DecimalOf, longOf, optional, type RowLike, textDecimalList } from "./row.ts";

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
