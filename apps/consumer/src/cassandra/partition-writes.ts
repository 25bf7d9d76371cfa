import { routingKey } from "@repo/cassandra";
import { boundedAll } from "@repo/platform/bounded";
import { DataError, PipelineError } from "@repo/platform/errors";
import cassandra from "cassandra-driver";
import type { RowMapping } from "./rows.ts";

/** A row Cassandra refused for what it holds (retrying cannot help), with the reason. */
export interface RejectedRow<T> {
  row: T;
  error: DataError;
}

/** The driver calls the writer makes (the store passes them through its lanes). */
export interface WriteClient {
  execute(query: string, params: unknown[], options: cassandra.QueryOptions): Promise<unknown>;
  batch(
    queries: { query: string; params: unknown[] }[],
    options: cassandra.QueryOptions,
  ): Promise<unknown>;
  columnsOf(table: string): Promise<Set<string>>;
}

export interface PartitionWriterOptions {
  client: WriteClient;
  /** The driver's client itself: its keyspace and token map, for grouping rows by replicas. */
  driver: cassandra.Client;
  consistency: number;
  maxConcurrency: number;
  batchMaxRows: number;
}

/**
 * Partitions per unlogged batch when rows are grouped by replica set, so one request still lands on
 * the nodes that store every row of it. Cassandra warns above
 * `unlogged_batch_across_partitions_warn_threshold` (10 by default). Its size thresholds
 * (`batch_size_warn_threshold`, 5 KiB; `batch_size_fail_threshold`, 50 KiB) apply only to batches
 * of several partitions: such batches stay under the warning ({@link MULTI_PARTITION_MAX_BYTES}),
 * and a batch Cassandra refuses anyway is written row by row like any refused batch.
 */
const PARTITIONS_PER_BATCH = 10;

/**
 * Cassandra's own measure of a batch of several partitions, kept under its default
 * `batch_size_warn_threshold` (5 KiB; a batch of one partition is exempt). It counts each cell's
 * value and about 16 bytes of timestamp and TTL metadata beside it: measured against Cassandra 5.0,
 * 200 tick rows of the longest fields the contracts allow counted 88,490 bytes (≈ 442 each), so
 * such rows go 10 to a batch and typical ones ≈ 20 (`e2e/store.test.ts` measures both).
 */
export const MULTI_PARTITION_MAX_BYTES = 5 * 1024;
const CELL_OVERHEAD_BYTES = 16;

/** A row's size as Cassandra counts it against the batch thresholds, from its bound values. */
export function boundBytes(values: unknown[]): number {
  let bytes = 0;
  for (const value of values) {
    if (value === null || value === undefined || value === cassandra.types.unset) continue;
    bytes +=
      CELL_OVERHEAD_BYTES +
      (Buffer.isBuffer(value) ? value.length : typeof value === "string" ? value.length : 8);
  }
  return bytes;
}

/** A partition's rows, their bound values (index for index) and the replica set that stores them. */
export interface PartitionRows<T> {
  replicas: string;
  rows: T[];
  bound: unknown[][];
}

/** The rows of one request and their bound values. */
export interface PackedBatch<T> {
  rows: T[];
  bound: unknown[][];
}

/**
 * Cuts partitions into unlogged batches of ≤ `batchMaxRows` rows, each on one replica set: a
 * partition's rows fill batches of their own, and what is left of it shares a batch with up to
 * {@link PARTITIONS_PER_BATCH} partitions on the same replicas while the batch stays under
 * {@link MULTI_PARTITION_MAX_BYTES}. The consumer's writer and the bench's bare driver both use it,
 * so the baseline writes the consumer's batch shape.
 *
 * @example
 *   const batches = packByReplicas([{ replicas: "10.0.0.1", rows, bound }], 40);
 *   for (const { bound } of batches) await client.batch(bound.map((params) => ({ query, params })));
 */
export function packByReplicas<T>(
  partitions: Iterable<PartitionRows<T>>,
  batchMaxRows: number,
): PackedBatch<T>[] {
  type Open = PackedBatch<T> & { partitions: number; bytes: number };
  const batches: Open[] = [];
  const open = new Map<string, Open>();
  for (const { replicas, rows, bound } of partitions) {
    for (let from = 0; from < rows.length; from += batchMaxRows) {
      const to = Math.min(rows.length, from + batchMaxRows);
      let bytes = 0;
      for (let i = from; i < to; i += 1) bytes += boundBytes(bound[i] as unknown[]);
      let batch = open.get(replicas);
      if (
        !batch ||
        batch.partitions >= PARTITIONS_PER_BATCH ||
        batch.rows.length + (to - from) > batchMaxRows ||
        batch.bytes + bytes > MULTI_PARTITION_MAX_BYTES
      ) {
        batch = { rows: [], bound: [], partitions: 0, bytes: 0 };
        open.set(replicas, batch);
        batches.push(batch);
      }
      for (let i = from; i < to; i += 1) {
        batch.rows.push(rows[i] as T);
        batch.bound.push(bound[i] as unknown[]);
      }
      batch.partitions += 1;
      batch.bytes += bytes;
    }
  }
  return batches;
}

/** How long a partition's replica set is reused before the token map is asked again. */
const REPLICAS_TTL_MS = 10_000;
/** Partitions whose replica sets are kept at most (the cache starts over past it). */
const MAX_CACHED_REPLICAS = 100_000;

/** How to find a partition's replicas: the bytes of its key columns. */
export type RoutingOf<T> = (row: T) => Buffer[];

/** Response codes that mean the request itself is wrong; every other failure may pass on retry. */
const REFUSED = new Set<number>([
  cassandra.types.responseErrorCodes.invalid,
  cassandra.types.responseErrorCodes.syntaxError,
]);

/**
 * Writes rows in unlogged batches of ≤ `batchMaxRows`: of one partition each (one replica set,
 * applied together), or with `routing`, of up to {@link PARTITIONS_PER_BATCH} partitions that share
 * their replicas. A partition with more rows than a batch holds gets full batches of its own and
 * its remainder shares one. With routing, the many partitions that get a row or two per call cost
 * one request per ten instead of one each: for the bench's 300 Zipf-distributed symbols a
 * 2,000-tick poll takes ≈ 90 tick requests instead of ≈ 260, for ≈ 6 % less of the writer's CPU
 * per row and ≈ 8 % less of Cassandra's (measured, noisy: README, "Performance"). Resolves with the rows
 * Cassandra refused for their data (found row by row, their neighbours written); rejects only with
 * transient errors, including a refusal while the table lacks a column its INSERT binds.
 *
 * @example
 *   const inPartitions = createPartitionWriter({ client, driver, consistency, maxConcurrency: 32, batchMaxRows: 40 });
 *   const refused = await inPartitions(byDay(ticks), tickRow);
 */
export function createPartitionWriter(options: PartitionWriterOptions) {
  const { client } = options;
  const writeOptions = {
    prepare: true,
    consistency: options.consistency,
    isIdempotent: true,
    logged: false,
  };
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
    const present = await client.columnsOf(row.table);
    const missing = row.columns.filter((column) => !present.has(column));
    if (missing.length === 0) return true;
    const table = `${options.driver.keyspace ?? ""}.${row.table}`;
    const what =
      present.size === 0
        ? `table ${table} does not exist`
        : `table ${table} has no column ${missing.join(", ")}`;
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
    /** The rows' bound values when the batching already took them. */
    bound?: unknown[][],
  ) => {
    const paramsOf = (i: number) => bound?.[i] ?? row.values(batch[i] as T);
    const write = () =>
      batch.length === 1
        ? client.execute(row.insert, paramsOf(0), writeOptions)
        : client.batch(
            batch.map((_, i) => ({ query: row.insert, params: paramsOf(i) })),
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

  /**
   * Replica sets by partition key, kept for {@link REPLICAS_TTL_MS}: bars and latest quotes write
   * the same few thousand partitions batch after batch, and hashing each key to its token was 0.7 %
   * of a drain's CPU. A ring change is seen within the TTL; until then a batch may go to a
   * coordinator that forwards it (slower, never wrong).
   */
  const replicaCache = new Map<string, string>();
  let replicaCacheFrom = performance.now();

  /** The hosts storing a partition, as a grouping key ("" when the driver has no token map). */
  const replicasOf = (parts: Buffer[]): string => {
    const keyspace = options.driver.keyspace;
    if (!keyspace) return "";
    const name =
      parts.length === 1
        ? (parts[0] as Buffer).toString("latin1")
        : parts.map((part) => part.toString("latin1")).join("\u0000");
    if (
      performance.now() - replicaCacheFrom > REPLICAS_TTL_MS ||
      replicaCache.size >= MAX_CACHED_REPLICAS
    ) {
      replicaCache.clear();
      replicaCacheFrom = performance.now();
    }
    let replicas = replicaCache.get(name);
    if (replicas === undefined) {
      const hosts = options.driver.getReplicas(keyspace, routingKey(parts)) ?? [];
      replicas = hosts
        .map((host) => host.address)
        .sort()
        .join(",");
      replicaCache.set(name, replicas);
    }
    return replicas;
  };

  return async <T>(
    groups: Iterable<T[]>,
    row: RowMapping<T>,
    routing?: RoutingOf<T>,
  ): Promise<RejectedRow<T>[]> => {
    let batches: { rows: T[]; bound?: unknown[][] }[];
    if (routing) {
      const partitions: PartitionRows<T>[] = [];
      for (const group of groups) {
        partitions.push({
          replicas: replicasOf(routing(group[0] as T)),
          rows: group,
          bound: group.map((record) => row.values(record)),
        });
      }
      batches = packByReplicas(partitions, options.batchMaxRows);
    } else {
      batches = [];
      for (const group of groups) {
        for (let i = 0; i < group.length; i += options.batchMaxRows) {
          batches.push({ rows: group.slice(i, i + options.batchMaxRows) });
        }
      }
    }
    const rejected: RejectedRow<T>[] = [];
    await boundedAll(batches, options.maxConcurrency, (batch) =>
      writeBatch(batch.rows, row, rejected, routing, batch.bound),
    );
    return rejected;
  };
}
