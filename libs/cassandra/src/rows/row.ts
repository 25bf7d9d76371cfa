import type { TableLayout } from "../layout/table.ts";

/** What the row readers take: the driver's `types.Row`, or any object answering `get(column)`. */
export interface RowLike {
  get(column: string): unknown;
}

/**
 * How a stored `decimal` becomes the reader's type: it receives the driver's `BigDecimal` (or the
 * text, when selected with {@link textDecimalList}) of a column that holds a value.
 *
 * @example
 *   const canonical: DecimalOf<string> = (stored) => canonicalDecimal(String(stored));
 */
export type DecimalOf<D> = (stored: unknown) => D;

/** A stored `bigint` (the driver's `Long`) as a JS bigint. */
export const bigintOf = (stored: unknown) => BigInt(String(stored));

/** A stored `bigint` as a number (the contract's longs are safe integers). */
export const longOf = (stored: unknown) => Number(String(stored));

/** A stored `timestamp` (the driver's `Date`) as µs since the epoch. */
export const microsOfTimestamp = (stored: unknown) => (stored as Date).getTime() * 1000;

/** `read(stored)` of a column that may be unset; null when it is. */
export const optional = <T>(stored: unknown, read: (stored: unknown) => T): T | null =>
  stored === null || stored === undefined ? null : read(stored);

/**
 * A column list like `columnList`, but each `decimal` column selected as text
 * (`CAST(open AS text) AS open`), for readers that parse decimals from text themselves.
 *
 * @example
 *   `SELECT ${textDecimalList(BARS_1M, BAR_ROW_COLUMNS)} FROM ${BARS_1M.name}`;
 *   // SELECT minute, CAST(open AS text) AS open, … FROM bars_1m
 */
export function textDecimalList<C extends string>(
  layout: TableLayout<C>,
  names: readonly NoInfer<C>[],
): string {
  return names
    .map((name) => (layout.columns[name] === "decimal" ? `CAST(${name} AS text) AS ${name}` : name))
    .join(", ");
}
