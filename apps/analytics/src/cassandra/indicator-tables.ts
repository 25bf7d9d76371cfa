import {
  INDICATORS_1M,
  INDICATORS_ROLLUP,
  insertInto,
  partitionDay,
  rollupRowTtlSeconds,
} from "@repo/cassandra";
import { boundedAll } from "@repo/platform/bounded";
import type { IndicatorValue } from "../indicators/compute.ts";
import type { IndicatorRow } from "../series/book.ts";
import { DAY_US, type Interval } from "../series/rollup.ts";
import {
  canonical,
  decimal,
  microsOf,
  readAll,
  statementOptions,
  type TableOptions,
  timestampOf,
} from "./driver.ts";

/** A stored indicator value as served: decimals as canonical strings. */
export interface ServedValue {
  start: number;
  value: string;
  lower: string | null;
  upper: string | null;
  provisional: boolean;
}

/** The columns after the partition key, the same in `indicators_1m` and `indicators_rollup`. */
const VALUE_COLUMNS = [
  "name",
  "bar_start",
  "value",
  "lower",
  "upper",
  "provisional",
  "updated_at",
] as const;
const INSERT_1M = insertInto(INDICATORS_1M, ["symbol", "day", ...VALUE_COLUMNS]);
const INSERT_ROLLUP = insertInto(INDICATORS_ROLLUP, [
  "symbol",
  "interval",
  "day",
  ...VALUE_COLUMNS,
]);

const selectValues = (table: string, partition: string) =>
  `SELECT name, bar_start, CAST(value AS text) AS value, CAST(lower AS text) AS lower,
  CAST(upper AS text) AS upper, provisional FROM ${table}
  WHERE ${partition} AND name = ? AND bar_start >= ? AND bar_start < ?`;
const SELECT_1M = selectValues(INDICATORS_1M.name, "symbol = ? AND day = ?");
const SELECT_ROLLUP = selectValues(
  INDICATORS_ROLLUP.name,
  "symbol = ? AND interval = ? AND day = ?",
);

/** Rows of one partition go in one unlogged batch (one mutation); partitions in parallel. */
const BATCH_ROWS = 50;

interface Statement {
  query: string;
  params: unknown[];
}

const bands = (value: IndicatorValue) =>
  "value" in value
    ? { value: decimal(value.value), lower: null, upper: null }
    : { value: decimal(value.middle), lower: decimal(value.lower), upper: decimal(value.upper) };

/** The rollup insert per interval: with `USING TTL` where the layout keeps its rows longer (1d). */
const insertRollup = (interval: Interval) => {
  const ttl = rollupRowTtlSeconds(interval);
  return ttl === undefined ? INSERT_ROLLUP : `${INSERT_ROLLUP} USING TTL ${ttl}`;
};

/** The insert of one row: 1m rows in `indicators_1m`, the others in `indicators_rollup`. */
function insertOf(row: IndicatorRow, now: Date): Statement {
  const { value, lower, upper } = bands(row.value);
  const values = [row.name, timestampOf(row.start), value, lower, upper, row.provisional, now];
  const day = partitionDay(row.start);
  return row.interval === "1m"
    ? { query: INSERT_1M, params: [row.symbol, day, ...values] }
    : { query: insertRollup(row.interval), params: [row.symbol, row.interval, day, ...values] };
}

/**
 * The indicator tables (`indicators_1m`, `indicators_rollup`; cql/004_analytics.cql). Writes are
 * idempotent: a row's key is what it is computed from.
 *
 * @example
 *   const indicators = createIndicatorTables({ client, consistency, maxConcurrency: 32 });
 *   await indicators.writeIndicators(rows);
 */
export function createIndicatorTables(options: TableOptions) {
  const { client, maxConcurrency } = options;
  const { write, read } = statementOptions(options);

  return {
    /** Writes indicator rows (the last of each key wins within the call). */
    async writeIndicators(rows: IndicatorRow[]): Promise<void> {
      const now = new Date();
      const latest = new Map<string, IndicatorRow>();
      for (const row of rows)
        latest.set(`${row.symbol}|${row.interval}|${row.start}|${row.name}`, row);
      const partitions = new Map<string, Statement[]>();
      for (const row of latest.values()) {
        const key = `${row.symbol}|${row.interval}|${row.day}`;
        const list = partitions.get(key);
        if (list) list.push(insertOf(row, now));
        else partitions.set(key, [insertOf(row, now)]);
      }
      const chunks: Statement[][] = [];
      for (const list of partitions.values())
        for (let i = 0; i < list.length; i += BATCH_ROWS)
          chunks.push(list.slice(i, i + BATCH_ROWS));
      await boundedAll(chunks, maxConcurrency, (chunk) => {
        const [only] = chunk;
        return chunk.length === 1 && only
          ? client.execute(only.query, only.params, write)
          : client.batch(chunk, { ...write, logged: false });
      });
    },

    /**
     * Stored values of `names` for `symbol` at `interval` with bar start in [from, to) µs, oldest
     * first. 1d rows are in `indicators_rollup` too, one per day partition (days read in parallel).
     */
    async indicators(
      symbol: string,
      interval: Interval,
      names: string[],
      from: number,
      to: number,
    ): Promise<Record<string, ServedValue[]>> {
      const days: number[] = [];
      for (let day = Math.floor(from / DAY_US) * DAY_US; day < to; day += DAY_US) days.push(day);
      const reads = names.flatMap((name) => days.map((day) => ({ name, day })));
      const found = new Map<string, ServedValue[]>();
      const range = [timestampOf(from), timestampOf(to)];
      await boundedAll(reads, maxConcurrency, async ({ name, day }) => {
        const partition = partitionDay(day);
        const rows =
          interval === "1m"
            ? await readAll(client, read, SELECT_1M, [symbol, partition, name, ...range])
            : await readAll(client, read, SELECT_ROLLUP, [
                symbol,
                interval,
                partition,
                name,
                ...range,
              ]);
        found.set(
          `${name}|${day}`,
          rows.map((row) => ({
            start: microsOf(row.get("bar_start")),
            value: canonical(row.get("value")) as string,
            lower: canonical(row.get("lower")),
            upper: canonical(row.get("upper")),
            provisional: row.get("provisional") === true,
          })),
        );
      });
      return Object.fromEntries(
        names.map((name) => [name, days.flatMap((day) => found.get(`${name}|${day}`) ?? [])]),
      );
    },
  };
}
