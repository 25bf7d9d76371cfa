import {
  columnList,
  dateBytes,
  MINUTE_US,
  partitionDay,
  partitionKey,
  TICKS,
  tickReader,
} from "@repo/cassandra";
import cassandra from "cassandra-driver";
import type { Trade } from "../bars/bar.ts";
import type { MinuteKey } from "../batch/plan.ts";
import type { ConsumerTick } from "../tick/decode.ts";
import { byDay, groupBy } from "./grouping.ts";
import { createLanes } from "./lanes.ts";
import { createPartitionWriter, type RejectedRow } from "./partition-writes.ts";
import { barDeleteRow, barRow, latestRow, type MinuteBar, tickRow } from "./rows.ts";

export type { RejectedRow };

/**
 * The consumer's writes and the two reads bars need; every call is idempotent. Writes resolve with
 * the rows Cassandra refused deterministically (found row by row, their neighbours written) and
 * reject only with transient errors (timeouts, unavailable, connection loss).
 */
export interface TickStore {
  writeTicks(ticks: ConsumerTick[]): Promise<RejectedRow<ConsumerTick>[]>;
  /**
   * Calls `fold` with each TRADE tick stored for one symbol-minute (cancelled ones with
   * `cancelled: true`), a page at a time.
   */
  foldTrades(minute: MinuteKey, fold: (trade: Trade) => void): Promise<void>;
  /**
   * The newest event time stored for `symbol` on the UTC day containing `micros` (any kind), or
   * -Infinity when that day holds none of its ticks.
   */
  newestEventTime(symbol: string, micros: number): Promise<number>;
  /**
   * Versioned by what each minute has seen (trades and cancels): a bar from less never replaces one
   * from more; a minute without a bar (every trade cancelled) has its row deleted above them.
   */
  writeBars(minutes: MinuteBar[]): Promise<RejectedRow<MinuteBar>[]>;
  writeLatest(ticks: ConsumerTick[]): Promise<RejectedRow<ConsumerTick>[]>;
  /** Whether a trivial query succeeds now. */
  ping(): Promise<boolean>;
}

export interface TickStoreOptions {
  client: cassandra.Client;
  consistency: number;
  /** Requests in flight at most, across every call (pipelined batches share it). */
  maxConcurrency: number;
  batchMaxRows: number;
}

/** A minute's trades (the fields bars fold) and the column that tells trades from quotes. */
const minuteTrades = tickReader(String, [
  "source",
  "sequence",
  "eventTime",
  "price",
  "size",
  "cancelled",
]);

/**
 * A minute's ticks with the price as Cassandra's own text of the decimal: the driver would build a
 * BigDecimal of goog.math Integers per row only for us to print it again.
 */
const SELECT_MINUTE = `SELECT ${minuteTrades.textColumns}, ${columnList(TICKS, ["kind"])}
  FROM ${TICKS.name} WHERE symbol = ? AND day = ? AND event_time_us >= ? AND event_time_us < ?`;

const newestTick = tickReader(String, ["eventTime"]);

/** The clustering order is event time descending: the first row is the newest. */
const SELECT_NEWEST = `SELECT ${newestTick.columns} FROM ${TICKS.name} WHERE symbol = ? AND day = ? LIMIT 1`;

/** The columns a table has now (read from the schema tables, not the driver's cached metadata). */
const TABLE_COLUMNS =
  "SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?";

/**
 * Cassandra edge of the consumer: prepared statements, unlogged batches of rows that share a
 * partition key (one replica set per batch), at most `maxConcurrency` requests in flight.
 *
 * @example
 *   const store = createTickStore({ client, consistency, maxConcurrency: 32, batchMaxRows: 40 });
 *   await store.writeTicks(ticks);
 */
export function createTickStore(options: TickStoreOptions): TickStore {
  const { consistency } = options;
  const lanes = createLanes(options.maxConcurrency);
  /** Tick rows are bulk; every other request is one a batch waits for in poll order. */
  const laneOf = (query: string | undefined) =>
    query === tickRow.insert ? lanes.bulk : lanes.urgent;
  const client = {
    execute: (query: string, params: unknown[], queryOptions: cassandra.QueryOptions) =>
      laneOf(query)(() => options.client.execute(query, params, queryOptions)),
    batch: (
      queries: { query: string; params: unknown[] }[],
      queryOptions: cassandra.QueryOptions,
    ) => laneOf(queries[0]?.query)(() => options.client.batch(queries, queryOptions)),
  };
  const inPartitions = createPartitionWriter({
    client: {
      ...client,
      async columnsOf(table) {
        const keyspace = options.client.keyspace ?? "";
        const result = await client.execute(TABLE_COLUMNS, [keyspace, table], {
          prepare: true,
          consistency: cassandra.types.consistencies.localOne,
        });
        return new Set(result.rows.map((r) => r.get("column_name") as string));
      },
    },
    driver: options.client,
    consistency,
    maxConcurrency: options.maxConcurrency,
    batchMaxRows: options.batchMaxRows,
  });

  return {
    writeTicks: (ticks) =>
      inPartitions(byDay(ticks), tickRow, (t) => [Buffer.from(t.symbol), dateBytes(t.eventTime)]),
    async foldTrades({ symbol, start }, fold) {
      let pageState: string | undefined;
      for (let page = 0; page < 10_000; page += 1) {
        const result = await client.execute(
          SELECT_MINUTE,
          [symbol, partitionDay(start), start, start + MINUTE_US],
          { prepare: true, consistency, fetchSize: 5000, pageState },
        );
        for (const row of result.rows)
          if (row.get("kind") === "TRADE") fold(minuteTrades.read(row));
        pageState = result.pageState ?? undefined;
        if (!pageState) break;
      }
    },
    async newestEventTime(symbol, micros) {
      const result = await client.execute(SELECT_NEWEST, [symbol, partitionDay(micros)], {
        prepare: true,
        consistency,
      });
      const newest = result.first();
      return newest ? newestTick.read(newest).eventTime : Number.NEGATIVE_INFINITY;
    },
    async writeBars(minutes) {
      const keyOf = (m: MinuteBar) => partitionKey(m.symbol, m.start);
      const routing = (m: MinuteBar) => [Buffer.from(m.symbol), dateBytes(m.start)];
      const [written, deleted] = await Promise.all([
        inPartitions(
          groupBy(
            minutes.filter((m) => m.bar !== undefined),
            keyOf,
          ),
          barRow,
          routing,
        ),
        inPartitions(
          groupBy(
            minutes.filter((m) => m.bar === undefined),
            keyOf,
          ),
          barDeleteRow,
          routing,
        ),
      ]);
      return [...written, ...deleted];
    },
    writeLatest: (ticks) =>
      inPartitions(
        groupBy(ticks, (t) => t.symbol),
        latestRow,
        (t) => [Buffer.from(t.symbol)],
      ),
    async ping() {
      try {
        await client.execute("SELECT release_version FROM system.local", [], {
          consistency: cassandra.types.consistencies.localOne,
        });
        return true;
      } catch {
        return false;
      }
    },
  };
}
