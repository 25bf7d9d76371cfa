import type { Bar, Tick } from "@repo/contracts";
import { DataError } from "@repo/platform/errors";
import cassandra from "cassandra-driver";
import { dayOf, MINUTE_US, type Trade } from "../bars/bar.ts";
import type { MinuteKey } from "../batch/plan.ts";

const { BigDecimal, LocalDate } = cassandra.types;

/** A row Cassandra refused for what it holds (retrying cannot help), with the reason. */
export interface RejectedRow<T> {
  row: T;
  error: DataError;
}

/**
 * The consumer's writes and the one read bars need; every call is idempotent. Writes resolve with
 * the rows Cassandra refused deterministically (found row by row, their neighbours written) and
 * reject only with transient errors (timeouts, unavailable, connection loss).
 */
export interface TickStore {
  writeTicks(ticks: Tick[]): Promise<RejectedRow<Tick>[]>;
  /** TRADE ticks stored for one symbol-minute. */
  tradesOf(minute: MinuteKey): Promise<Trade[]>;
  /** Versioned by trade count: a bar computed from fewer ticks never replaces one from more. */
  writeBars(bars: Bar[]): Promise<RejectedRow<Bar>[]>;
  writeLatest(ticks: Tick[]): Promise<RejectedRow<Tick>[]>;
  /** Whether a trivial query succeeds now. */
  ping(): Promise<boolean>;
}

export interface TickStoreOptions {
  client: cassandra.Client;
  consistency: number;
  maxConcurrency: number;
  batchMaxRows: number;
}

const INSERT_TICK = `INSERT INTO ticks (symbol, day, event_time_us, source, sequence, event_time, kind,
  price, size, bid, ask, bid_size, ask_size, exchange, ingest_time_us)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const SELECT_MINUTE = `SELECT source, sequence, event_time_us, kind, price, size FROM ticks
  WHERE symbol = ? AND day = ? AND event_time_us >= ? AND event_time_us < ?`;
const INSERT_BAR = `INSERT INTO bars_1m (symbol, day, minute, open, high, low, close, volume, vwap,
  trades, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
const SCHEMA_PROBE = "SELECT symbol FROM ticks LIMIT 1";

/** Response codes that mean the request itself is wrong; every other failure may pass on retry. */
const REFUSED = new Set<number>([
  cassandra.types.responseErrorCodes.invalid,
  cassandra.types.responseErrorCodes.syntaxError,
]);
const INSERT_LATEST = `INSERT INTO latest_quotes (symbol, source, kind, event_time_us, event_time,
  sequence, price, size, bid, ask, bid_size, ask_size, exchange, ingest_time_us)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;

/**
 * Cassandra edge of the consumer: prepared statements, unlogged batches of rows that share a
 * partition key (one replica set per batch), at most `maxConcurrency` requests in flight.
 *
 * @example
 *   const store = createTickStore({ client, consistency, maxConcurrency: 32, batchMaxRows: 40 });
 *   await store.writeTicks(ticks);
 */
export function createTickStore(options: TickStoreOptions): TickStore {
  const { client, consistency } = options;
  const writeOptions = { prepare: true, consistency, isIdempotent: true, logged: false };

  /**
   * A refusal is the data's fault only while the tables themselves answer; a dropped table or a
   * schema that was never migrated refuses every row alike and must pause, not dead-letter.
   */
  const refusedForItsData = async (error: unknown): Promise<boolean> => {
    const refused =
      error instanceof TypeError ||
      (error instanceof cassandra.errors.ResponseError && REFUSED.has(error.code));
    if (!refused) return false;
    await client.execute(SCHEMA_PROBE, [], { prepare: true, consistency });
    return true;
  };

  /** Writes `batch` whole, or row by row after a refusal to find exactly the refused rows. */
  const writeBatch = async <T>(
    batch: T[],
    query: string,
    params: (row: T) => unknown[],
    rejected: RejectedRow<T>[],
  ) => {
    try {
      await (batch.length === 1
        ? client.execute(query, params(batch[0] as T), writeOptions)
        : client.batch(
            batch.map((row) => ({ query, params: params(row) })),
            writeOptions,
          ));
      return;
    } catch (error) {
      if (!(await refusedForItsData(error))) throw error;
      if (batch.length === 1) {
        const message = `Cassandra refused the row: ${(error as Error).message}`;
        rejected.push({
          row: batch[0] as T,
          error: new DataError(message, { code: "cassandra_refused", cause: error }),
        });
        return;
      }
    }
    for (const row of batch) await writeBatch([row], query, params, rejected);
  };

  const inPartitions = async <T>(
    rows: T[],
    keyOf: (row: T) => string,
    query: string,
    params: (row: T) => unknown[],
  ): Promise<RejectedRow<T>[]> => {
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      const key = keyOf(row);
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    const batches: T[][] = [];
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += options.batchMaxRows) {
        batches.push(group.slice(i, i + options.batchMaxRows));
      }
    }
    const rejected: RejectedRow<T>[] = [];
    await boundedAll(batches, options.maxConcurrency, (batch) =>
      writeBatch(batch, query, params, rejected),
    );
    return rejected;
  };

  return {
    writeTicks: (ticks) =>
      inPartitions(ticks, (t) => `${t.symbol}|${dayOf(t.eventTime)}`, INSERT_TICK, tickRow),
    async tradesOf({ symbol, start }) {
      const trades: Trade[] = [];
      let pageState: string | undefined;
      for (let page = 0; page < 10_000; page += 1) {
        const result = await client.execute(
          SELECT_MINUTE,
          [symbol, localDate(start), start, start + MINUTE_US],
          { prepare: true, consistency, fetchSize: 5000, pageState },
        );
        for (const row of result.rows) {
          if (row.get("kind") !== "TRADE") continue;
          trades.push({
            source: row.get("source"),
            sequence: Number(row.get("sequence")),
            eventTime: Number(row.get("event_time_us")),
            price: (row.get("price") as cassandra.types.BigDecimal).toString(),
            size: Number(row.get("size")),
          });
        }
        pageState = result.pageState ?? undefined;
        if (!pageState) break;
      }
      return trades;
    },
    writeBars: (bars) =>
      inPartitions(
        bars,
        (b) => `${b.symbol}|${dayOf(b.start)}`,
        INSERT_BAR,
        (bar) => [
          bar.symbol,
          localDate(bar.start),
          new Date(bar.start / 1000),
          decimal(bar.open),
          decimal(bar.high),
          decimal(bar.low),
          decimal(bar.close),
          bar.volume,
          decimal(bar.vwap),
          bar.trades,
          new Date(),
          barVersion(bar),
        ],
      ),
    writeLatest: (ticks) => inPartitions(ticks, (t) => t.symbol, INSERT_LATEST, latestRow),
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

/**
 * The write timestamp of a bar row: its minute's start plus its trade count. Stored ticks only
 * grow, and a recompute reads after its own ticks are written, so the recompute that read the most
 * ticks read them all; Cassandra's last-write-wins then keeps it whatever order the writes land in
 * (a revoked member finishing late, a retry, a replay). Close to the minute's time, so
 * time-window compaction still groups bars by when they happened.
 */
export const barVersion = (bar: Bar) => bar.start + bar.trades;

const decimal = (value: string) => BigDecimal.fromString(value);

const localDates = new Map<string, cassandra.types.LocalDate>();
/** The partition day of a timestamp as the driver's LocalDate (immutable, so shared per day). */
function localDate(micros: number): cassandra.types.LocalDate {
  const day = dayOf(micros);
  let date = localDates.get(day);
  if (!date) {
    date = LocalDate.fromString(day);
    if (localDates.size > 10_000) localDates.clear();
    localDates.set(day, date);
  }
  return date;
}
const optionalDecimal = (value: string | null) => (value === null ? undefined : decimal(value));
const optional = <T>(value: T | null) => (value === null ? undefined : value);

/** Unset (not null) for absent optionals: no tombstones in the time series. */
function tickRow(tick: Tick): unknown[] {
  return [
    tick.symbol,
    localDate(tick.eventTime),
    tick.eventTime,
    tick.source,
    tick.sequence,
    new Date(Math.floor(tick.eventTime / 1000)),
    tick.kind,
    decimal(tick.price),
    tick.size,
    optionalDecimal(tick.bid),
    optionalDecimal(tick.ask),
    optional(tick.bidSize),
    optional(tick.askSize),
    optional(tick.exchange),
    tick.ingestTime,
  ];
}

/** Explicit nulls: the latest tick replaces every column of the previous one. */
function latestRow(tick: Tick): unknown[] {
  return [
    tick.symbol,
    tick.source,
    tick.kind,
    tick.eventTime,
    new Date(Math.floor(tick.eventTime / 1000)),
    tick.sequence,
    decimal(tick.price),
    tick.size,
    tick.bid === null ? null : decimal(tick.bid),
    tick.ask === null ? null : decimal(tick.ask),
    tick.bidSize,
    tick.askSize,
    tick.exchange,
    tick.ingestTime,
    tick.eventTime,
  ];
}

/**
 * Runs `task` over `items` with at most `limit` in flight; rejects with the first failure after
 * every started task settled.
 */
export async function boundedAll<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}
