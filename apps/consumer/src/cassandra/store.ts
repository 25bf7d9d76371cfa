import type { Bar, Tick } from "@repo/contracts";
import cassandra from "cassandra-driver";
import { dayOf, MINUTE_US, type Trade } from "../bars/bar.ts";
import type { MinuteKey } from "../batch/plan.ts";

const { BigDecimal, LocalDate } = cassandra.types;

/** The consumer's writes and the one read bars need; every call is idempotent. */
export interface TickStore {
  writeTicks(ticks: Tick[]): Promise<void>;
  /** TRADE ticks stored for one symbol-minute. */
  tradesOf(minute: MinuteKey): Promise<Trade[]>;
  writeBars(bars: Bar[]): Promise<void>;
  writeLatest(ticks: Tick[]): Promise<void>;
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
  trades, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
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

  const inPartitions = async <T>(
    rows: T[],
    keyOf: (row: T) => string,
    query: string,
    params: (row: T) => unknown[],
  ) => {
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
    await boundedAll(batches, options.maxConcurrency, (batch) =>
      batch.length === 1
        ? client.execute(query, params(batch[0] as T), writeOptions)
        : client.batch(
            batch.map((row) => ({ query, params: params(row) })),
            writeOptions,
          ),
    );
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
          [symbol, LocalDate.fromString(dayOf(start)), start, start + MINUTE_US],
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
          LocalDate.fromString(dayOf(bar.start)),
          new Date(bar.start / 1000),
          decimal(bar.open),
          decimal(bar.high),
          decimal(bar.low),
          decimal(bar.close),
          bar.volume,
          decimal(bar.vwap),
          bar.trades,
          new Date(),
        ],
      ),
    writeLatest: (ticks) =>
      boundedAll(ticks, options.maxConcurrency, (tick) =>
        client.execute(INSERT_LATEST, latestRow(tick), writeOptions),
      ).then(() => undefined),
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

const decimal = (value: string) => BigDecimal.fromString(value);
const optionalDecimal = (value: string | null) => (value === null ? undefined : decimal(value));
const optional = <T>(value: T | null) => (value === null ? undefined : value);

/** Unset (not null) for absent optionals: no tombstones in the time series. */
function tickRow(tick: Tick): unknown[] {
  return [
    tick.symbol,
    LocalDate.fromString(dayOf(tick.eventTime)),
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
