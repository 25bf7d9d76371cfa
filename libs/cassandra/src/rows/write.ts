/**
 * The write mapping of a table's rows: each column written, typed by the layout, with how its bound
 * value is computed from a record. The INSERT is generated from the same declaration, so a column
 * cannot be bound out of place and a name the table does not have does not compile.
 */
import { type InsertOptions, insertInto, type TableLayout } from "../layout/table.ts";

/**
 * Column → its bound value for a record: a typed value, a pre-encoded Buffer (`encode.ts`), `null`
 * (the column is cleared) or `undefined` (left unset, no tombstone).
 */
export type ColumnWrites<C extends string, T> = { readonly [K in C]?: (record: T) => unknown };

/** A table's INSERT and the values it binds for a record, in the order of `columns`. */
export interface RowWriter<T> {
  table: string;
  /** The columns the INSERT binds, in order. */
  columns: readonly string[];
  insert: string;
  /** A fresh array per call: a caller may append what its statement binds after the columns. */
  values(record: T): unknown[];
}

/**
 * A writer of `layout`'s rows binding `writes` in their declared order.
 *
 * @example
 *   const stateRow = rowWriter(INGEST_PROVIDER_STATE, {
 *     provider: (s: State) => s.name,
 *     paused: (s: State) => s.paused,
 *     changed_at: () => new Date(),
 *   });
 *   await client.execute(stateRow.insert, stateRow.values(state), { prepare: true });
 */
export function rowWriter<C extends string, T, K extends NoInfer<C> = NoInfer<C>>(
  layout: TableLayout<C>,
  writes: ColumnWrites<K, T>,
  options: InsertOptions = {},
): RowWriter<T> {
  const columns = Object.keys(writes) as C[];
  const compute = Object.values(writes) as ((record: T) => unknown)[];
  return {
    table: layout.name,
    columns,
    insert: insertInto(layout, columns, options),
    values: (record) => {
      const values = new Array<unknown>(compute.length);
      for (let i = 0; i < compute.length; i += 1)
        values[i] = (compute[i] as (r: T) => unknown)(record);
      return values;
    },
  };
}

/** One declaration per field merged into one: the columns in field order. */
export const mergeWrites = <C extends string, T>(
  fields: Record<string, ColumnWrites<C, T>>,
): ColumnWrites<C, T> => Object.assign({}, ...Object.values(fields));
