import type { Tick } from "@repo/contracts";
import { DataError, PipelineError } from "@repo/platform/errors";
import cassandra from "cassandra-driver";
import { dayOf, MINUTE_US, type Trade } from "../bars/bar.ts";
import type { MinuteKey } from "../batch/plan.ts";
import { dateBytes, routingKey } from "./encode.ts";
import { boundedAll, byDay, groupBy } from "./grouping.ts";
import { createLanes } from "./lanes.ts";
import {
  barDeleteRow,
  barRow,
  latestRow,
  localDate,
  type MinuteBar,
  type RowMapping,
  tickRow,
} from "./rows.ts";

/** A row Cassandra refused for what it holds (retrying cannot help), with the reason. */
export interface RejectedRow<T> {
  row: T;
  error: DataError;
}

/**
 * The consumer's writes and the two reads bars need; every call is idempotent. Writes resolve with
 * the rows Cassandra refused deterministically (found row by row, their neighbours written) and
 * reject only with transient errors (timeouts, unavailable, connection loss).
 */
export interface TickStore {
  writeTicks(ticks: Tick[]): Promise<RejectedRow<Tick>[]>;
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
  writeLatest(ticks: Tick[]): Promise<RejectedRow<Tick>[]>;
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

/**
 * A minute's ticks with the price as Cassandra's own text of the decimal: the driver would build a
 * BigDecimal of goog.math Integers per row only for us to print it again.
 */
const SELECT_MINUTE = `SELECT source, sequence, event_time_us, kind, CAST(price AS text) AS price, size, cancelled
  FROM ticks WHERE symbol = ? AND day = ? AND event_time_us >= ? AND event_time_us < ?`;

/** The clustering order is event time descending: the first row is the newest. */
const SELECT_NEWEST = "SELECT event_time_us FROM ticks WHERE symbol = ? AND day = ? LIMIT 1";

/** The columns a table has now (read from the schema tables, not the driver's cached metadata). */
const TABLE_COLUMNS =
  "SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?";

/**
 * Partitions per unlogged batch for the small per-symbol tables (bars, latest quotes): grouped by
 * replica set, so one request still lands on the nodes that store every row of it. Cassandra warns
 * above `unlogged_batch_across_partitions_warn_threshold` (10 by default).
 */
const PARTITIONS_PER_BATCH = 10;

/** How to find a partition's replicas: the bytes of its key columns. */
type RoutingOf<T> = (row: T) => Buffer[];

/** Response codes that mean the request itself is wrong; every other failure may pass on retry. */
const REFUSED = new Set<number>([
  cassandra.types.responseErrorCodes.invalid,
  cassandra.types.responseErrorCodes.syntaxError,
]);

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
  const writeOptions = { prepare: true, consistency, isIdempotent: true, logged: false };
  /** Rows refused once while their table looked complete: refused again, they are the data's fault. */
  const suspects = new WeakSet<object>();

  /**
   * A refusal is the data's fault only while the table has every column its INSERT binds: a
   * dropped table, a renamed or dropped column, or a schema that was never migrated refuses every
   * row alike, so it is thrown as transient (the step pauses and retries) instead of dead-lettering.
   */
  const refusedForItsData = async (error: unknown, row: RowMapping<unknown>): Promise<boolean> => {
    const refused =
      error instanceof TypeError ||
      (error instanceof cassandra.errors.ResponseError && REFUSED.has(error.code));
    if (!refused) return false;
    const keyspace = options.client.keyspace ?? "";
    const result = await client.execute(TABLE_COLUMNS, [keyspace, row.table], {
      prepare: true,
      consistency: cassandra.types.consistencies.localOne,
    });
    const present = new Set(result.rows.map((r) => r.get("column_name") as string));
    const missing = row.columns.filter((column) => !present.has(column));
    if (missing.length === 0) return true;
    const what =
      present.size === 0
        ? `table ${keyspace}.${row.table} does not exist`
        : `table ${keyspace}.${row.table} has no column ${missing.join(", ")}`;
    throw new PipelineError(
      `${what}: the schema does not match this consumer (run bun run cql:migrate): ${(error as Error).message}`,
      { retriable: true, cause: error },
    );
  };

  /** Writes `batch` whole, or row by row after a refusal to find exactly the refused rows. */
  const writeBatch = async <T>(
    batch: T[],
    row: RowMapping<T>,
    rejected: RejectedRow<T>[],
    routing?: RoutingOf<T>,
  ) => {
    const write = () =>
      batch.length === 1
        ? client.execute(row.insert, row.values(batch[0] as T), writeOptions)
        : client.batch(
            batch.map((record) => ({ query: row.insert, params: row.values(record) })),
            // Several partitions: the driver routes by the first row's key, given explicitly.
            routing ? { ...writeOptions, routingKey: routing(batch[0] as T) } : writeOptions,
          );
    let error: unknown;
    try {
      await write();
      return;
    } catch (refusal) {
      if (!(await refusedForItsData(refusal, row as RowMapping<unknown>))) throw refusal;
      error = refusal;
    }
    if (batch.length > 1) {
      for (const record of batch) await writeBatch([record], row, rejected);
      return;
    }
    // The table is as this consumer expects now, but the refusal may predate a schema fix that
    // landed a moment ago (a column renamed back while this row was being written). A row is
    // blamed only when it is refused again on the step's next attempt, a backoff later: the first
    // refusal is thrown as transient.
    const record = batch[0] as T;
    if (!suspects.has(record as object)) {
      suspects.add(record as object);
      throw new PipelineError(
        `Cassandra refused a row of ${row.table} whose columns all exist; trying once more before blaming the row: ${(error as Error).message}`,
        { retriable: true, cause: error },
      );
    }
    const message = `Cassandra refused the row: ${(error as Error).message}`;
    rejected.push({
      row: record,
      error: new DataError(message, { code: "cassandra_refused", cause: error }),
    });
  };

  /** The hosts storing a partition, as a grouping key ("" when the driver has no token map). */
  const replicasOf = (parts: Buffer[]): string => {
    const keyspace = options.client.keyspace;
    if (!keyspace) return "";
    const hosts = options.client.getReplicas(keyspace, routingKey(parts)) ?? [];
    return hosts
      .map((host) => host.address)
      .sort()
      .join(",");
  };

  /**
   * Unlogged batches of ≤ `batchMaxRows` rows: of one partition each (one replica set, applied
   * together), or with `routing`, of up to {@link PARTITIONS_PER_BATCH} partitions that share
   * their replicas — for tables whose partitions get a row or two per call.
   */
  const inPartitions = async <T>(
    groups: Iterable<T[]>,
    row: RowMapping<T>,
    routing?: RoutingOf<T>,
  ): Promise<RejectedRow<T>[]> => {
    const batches: T[][] = [];
    if (routing) {
      const open = new Map<string, { rows: T[]; partitions: number }>();
      for (const group of groups) {
        const replicas = replicasOf(routing(group[0] as T));
        let batch = open.get(replicas);
        if (
          !batch ||
          batch.partitions >= PARTITIONS_PER_BATCH ||
          batch.rows.length + group.length > options.batchMaxRows
        ) {
          batch = { rows: [], partitions: 0 };
          open.set(replicas, batch);
          batches.push(batch.rows);
        }
        batch.rows.push(...group);
        batch.partitions += 1;
      }
    } else {
      for (const group of groups) {
        for (let i = 0; i < group.length; i += options.batchMaxRows) {
          batches.push(group.slice(i, i + options.batchMaxRows));
        }
      }
    }
    const rejected: RejectedRow<T>[] = [];
    await boundedAll(batches, options.maxConcurrency, (batch) =>
      writeBatch(batch, row, rejected, routing),
    );
    return rejected;
  };

  return {
    writeTicks: (ticks) => inPartitions(byDay(ticks), tickRow),
    async foldTrades({ symbol, start }, fold) {
      let pageState: string | undefined;
      for (let page = 0; page < 10_000; page += 1) {
        const result = await client.execute(
          SELECT_MINUTE,
          [symbol, localDate(start), start, start + MINUTE_US],
          { prepare: true, consistency, fetchSize: 5000, pageState },
        );
        for (const row of result.rows) {
          if (row.get("kind") !== "TRADE") continue;
          fold({
            source: row.get("source"),
            sequence: (row.get("sequence") as cassandra.types.Long).toNumber(),
            eventTime: (row.get("event_time_us") as cassandra.types.Long).toNumber(),
            price: row.get("price") as string,
            size: (row.get("size") as cassandra.types.Long).toNumber(),
            cancelled: row.get("cancelled") === true,
          });
        }
        pageState = result.pageState ?? undefined;
        if (!pageState) break;
      }
    },
    async newestEventTime(symbol, micros) {
      const result = await client.execute(SELECT_NEWEST, [symbol, localDate(micros)], {
        prepare: true,
        consistency,
      });
      const newest = result.first()?.get("event_time_us") as cassandra.types.Long | undefined;
      return newest ? newest.toNumber() : Number.NEGATIVE_INFINITY;
    },
    async writeBars(minutes) {
      const keyOf = (m: MinuteBar) => `${m.symbol}|${dayOf(m.start)}`;
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
