/**
 * The row mapping of `bars_1m`, both ways: which columns a reader selects and how each becomes a
 * field, generic over the decimal type (canonical text in the api, micro-units in analytics, the
 * driver's text in testkit; volume and trades are always bigint), and {@link barWriter}, through
 * which the consumer writes.
 */
import type { Bar } from "@repo/contracts";
import { BARS_1M } from "../layout/market.ts";
import { partitionDay } from "../local-date.ts";
import { bigintBytes, decimalBytes, timestampBytes } from "./encode.ts";
import { bigintOf, type DecimalOf, microsOfTimestamp, type RowLike } from "./row.ts";
import { type RowWriter, rowWriter } from "./write.ts";

type BarColumn = keyof typeof BARS_1M.columns;

/** A bar's values, decimals as `D`. */
export interface BarValues<D> {
  open: D;
  high: D;
  low: D;
  close: D;
  volume: bigint;
  vwap: D;
  trades: bigint;
}

/** A 1-minute bar as stored in `bars_1m`: its values and its minute. */
export interface StoredMinuteBar<D> extends BarValues<D> {
  /** Start of the minute, µs since the epoch. */
  start: number;
}

/** The columns {@link barValuesOf} reads. */
export const BAR_VALUE_COLUMNS = [
  "open",
  "high",
  "low",
  "close",
  "volume",
  "vwap",
  "trades",
] as const satisfies readonly BarColumn[];

/** The columns {@link barRowOf} reads: the minute and the values. */
export const BAR_ROW_COLUMNS = [
  "minute",
  ...BAR_VALUE_COLUMNS,
] as const satisfies readonly BarColumn[];

/**
 * The values of a `bars_1m` row selected with at least {@link BAR_VALUE_COLUMNS}.
 *
 * @example
 *   barValuesOf(row, String); // { open: "187.250000", …, volume: 300n, trades: 3n }
 */
export function barValuesOf<D>(row: RowLike, decimal: DecimalOf<D>): BarValues<D> {
  return {
    open: decimal(row.get("open")),
    high: decimal(row.get("high")),
    low: decimal(row.get("low")),
    close: decimal(row.get("close")),
    volume: bigintOf(row.get("volume")),
    vwap: decimal(row.get("vwap")),
    trades: bigintOf(row.get("trades")),
  };
}

/**
 * A `bars_1m` row selected with at least {@link BAR_ROW_COLUMNS}.
 *
 * @example
 *   const rows = await client.execute(`SELECT ${columnList(BARS_1M, BAR_ROW_COLUMNS)} FROM ${BARS_1M.name} WHERE …`);
 *   rows.rows.map((row) => barRowOf(row, (stored) => parseMicros(String(stored))));
 */
export function barRowOf<D>(row: RowLike, decimal: DecimalOf<D>): StoredMinuteBar<D> {
  return { start: microsOfTimestamp(row.get("minute")), ...barValuesOf(row, decimal) };
}

/** A 1-minute bar as the writer takes it: the contract's `Bar` (decimals as plain text). */
export type WrittenBar = Pick<
  Bar,
  "symbol" | "start" | "open" | "high" | "low" | "close" | "volume" | "vwap" | "trades"
>;

/**
 * One row per symbol and minute in `bars_1m`, `USING TIMESTAMP ?`: the caller appends the write
 * timestamp to {@link RowWriter.values} (the consumer's `barVersion`). Values are pre-encoded
 * (`encode.ts`) except the partition key; `updated_at` is the time of the write.
 *
 * @example
 *   const values = barWriter.values(bar);
 *   values.push(versionBytes(bar.start + bar.trades, 0));
 *   await client.execute(barWriter.insert, values, { prepare: true });
 */
export const barWriter: RowWriter<WrittenBar> = rowWriter(
  BARS_1M,
  {
    symbol: (b: WrittenBar) => b.symbol,
    day: (b: WrittenBar) => partitionDay(b.start),
    minute: (b: WrittenBar) => timestampBytes(b.start),
    open: (b: WrittenBar) => decimalBytes(b.open),
    high: (b: WrittenBar) => decimalBytes(b.high),
    low: (b: WrittenBar) => decimalBytes(b.low),
    close: (b: WrittenBar) => decimalBytes(b.close),
    volume: (b: WrittenBar) => bigintBytes(b.volume),
    vwap: (b: WrittenBar) => decimalBytes(b.vwap),
    trades: (b: WrittenBar) => bigintBytes(b.trades),
    updated_at: () => new Date(),
  },
  { usingTimestamp: true },
);
