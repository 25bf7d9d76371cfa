/**
 * The bare driver's tick writer, the baseline #26 defines the consumer's CPU per tick against:
 * nothing of ours between the ticks and the DataStax Node.js driver. It writes the same columns as
 * the consumer's `ticks` rows, as the driver's documentation shows (one prepared statement, values
 * as the driver's own types, which the driver encodes; `unset` for an absent optional), in unlogged
 * batches of at most `batchMaxRows` rows of one partition (the driver routes each to a replica of
 * it), with at most `maxConcurrency` requests in flight across calls (the consumer's own limiter,
 * `lanes.ts`: harness, not data path).
 */
import type { Tick } from "@repo/contracts";
import cassandra from "cassandra-driver";
import { createLanes } from "../src/cassandra/lanes.ts";

const { BigDecimal, LocalDate, Long } = cassandra.types;
const { unset } = cassandra.types;
const DAY_MS = 86_400_000;

const INSERT = `INSERT INTO ticks (symbol, day, event_time_us, source, sequence, event_time, kind,
  price, size, bid, ask, bid_size, ask_size, exchange, ingest_time_us)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const decimal = (text: string | null) => (text === null ? unset : BigDecimal.fromString(text));
const long = (value: number | null) => (value === null ? unset : Long.fromNumber(value));

function utcDay(ms: number) {
  const day = new Date(ms);
  return new LocalDate(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate());
}

function paramsOf(tick: Tick): unknown[] {
  const ms = Math.floor(tick.eventTime / 1000);
  return [
    tick.symbol,
    utcDay(ms),
    Long.fromNumber(tick.eventTime),
    tick.source,
    Long.fromNumber(tick.sequence),
    new Date(ms),
    tick.kind,
    BigDecimal.fromString(tick.price),
    Long.fromNumber(tick.size),
    decimal(tick.bid),
    decimal(tick.ask),
    long(tick.bidSize),
    long(tick.askSize),
    tick.exchange ?? unset,
    Long.fromNumber(tick.ingestTime),
  ];
}

/**
 * @example
 *   const writer = createBareWriter(client, { maxConcurrency: 32, batchMaxRows: 100 });
 *   await writer.writeTicks(ticks);
 */
export function createBareWriter(
  client: cassandra.Client,
  options: { maxConcurrency: number; batchMaxRows: number },
) {
  // One limit across every call, as the consumer's store shares one (its lanes; here one lane).
  const limited = createLanes(options.maxConcurrency).bulk;
  const send = (queries: { query: string; params: unknown[] }[]) =>
    limited(() =>
      client.batch(queries, {
        prepare: true,
        logged: false,
        consistency: cassandra.types.consistencies.localQuorum,
      }),
    );
  return {
    async writeTicks(ticks: Tick[]): Promise<void> {
      const partitions = new Map<string, { query: string; params: unknown[] }[]>();
      for (const tick of ticks) {
        const key = `${tick.symbol}/${Math.floor(tick.eventTime / (DAY_MS * 1000))}`;
        const rows = partitions.get(key) ?? [];
        if (rows.length === 0) partitions.set(key, rows);
        rows.push({ query: INSERT, params: paramsOf(tick) });
      }
      const batches: Promise<unknown>[] = [];
      for (const rows of partitions.values())
        for (let i = 0; i < rows.length; i += options.batchMaxRows)
          batches.push(send(rows.slice(i, i + options.batchMaxRows)));
      await Promise.all(batches);
    },
  };
}
