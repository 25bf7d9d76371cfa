import { compactionWindowDays, RETENTION, type RetentionName } from "../retention.ts";
import { DAY_SECONDS } from "../time.ts";

type CqlType =
  | "text"
  | "date"
  | "bigint"
  | "timestamp"
  | "decimal"
  | "boolean"
  | "map<text, bigint>";

/** One table as `cql/` creates it and `cql:migrate` keeps it. */
export interface TableLayout<C extends string = string> {
  name: string;
  /** Every column with its CQL type. */
  columns: Readonly<Record<C, CqlType>>;
  partitionKey: readonly NoInfer<C>[];
  clustering: readonly (readonly [NoInfer<C>, "ASC" | "DESC"])[];
  /** The configurable retention its TTL (and TWCS window) follow; absent: fixed `ttlSeconds`. */
  retention?: RetentionName;
  /**
   * `default_time_to_live` at the default retention: how long a row is kept after its last write;
   * 0 keeps it until deleted.
   */
  ttlSeconds: number;
  /** TimeWindowCompactionStrategy window in days at the default retention; absent: Cassandra's default compaction. */
  compactionWindowDays?: number;
  /** Lowered for TTL'd time series (repairs must run more often than this on clusters). */
  gcGraceSeconds?: number;
}

export const table = <const C extends string>(layout: TableLayout<C>) => layout;

/**
 * A time series kept for `retention`: its TTL, a TWCS window to match (`compactionWindowDays`) and
 * a one-day `gc_grace_seconds`.
 */
export const timeSeries = <const C extends string>(
  layout: Omit<TableLayout<C>, "ttlSeconds" | "compactionWindowDays" | "gcGraceSeconds"> & {
    retention: RetentionName;
  },
) =>
  table<C>({
    ...layout,
    ttlSeconds: RETENTION[layout.retention],
    compactionWindowDays: compactionWindowDays(RETENTION[layout.retention]),
    gcGraceSeconds: DAY_SECONDS,
  });

/**
 * A comma-separated column list of `layout` for a SELECT or INSERT: the named columns in that
 * order, or every column. A name the table does not have does not compile.
 *
 * @example
 *   `SELECT ${columnList(BARS_1M, ["minute", "open", "close"])} FROM ${BARS_1M.name}`;
 */
export function columnList<C extends string>(
  layout: TableLayout<C>,
  names?: readonly NoInfer<C>[],
): string {
  return (names ?? (Object.keys(layout.columns) as C[])).join(", ");
}

export interface InsertOptions {
  /** Append `USING TIMESTAMP ?`: the write timestamp is bound after the columns. */
  usingTimestamp?: boolean;
}

/**
 * `INSERT INTO <table> (<columns>) VALUES (?, …)` binding `names` in order (every column by
 * default), then the write timestamp with `usingTimestamp`.
 *
 * @example
 *   await client.execute(insertInto(INGEST_PROVIDER_STATE), [name, true, new Date(), "ops"], { prepare: true });
 *   insertInto(LATEST_QUOTES, ["symbol", "price"], { usingTimestamp: true });
 *   // INSERT INTO latest_quotes (symbol, price) VALUES (?, ?) USING TIMESTAMP ?
 */
export function insertInto<C extends string>(
  layout: TableLayout<C>,
  names?: readonly NoInfer<C>[],
  options: InsertOptions = {},
): string {
  const columns = names ?? (Object.keys(layout.columns) as C[]);
  const using = options.usingTimestamp ? " USING TIMESTAMP ?" : "";
  return `INSERT INTO ${layout.name} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})${using}`;
}
