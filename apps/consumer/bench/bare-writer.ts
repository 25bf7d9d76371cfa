/**
 * The bare driver's tick writer, the baseline #26 defines the consumer's CPU per tick against:
 * nothing of ours between the ticks and the DataStax Node.js driver. It writes the same columns as
 * the consumer's `ticks` rows, as the driver's documentation shows (one prepared statement, values
 * as the driver's own types, which the driver encodes; `unset` for an absent optional), in the
 * consumer's batch shape: unlogged batches of at most `batchMaxRows` rows, a partition's rows in full
 * batches of their own and the rest packed up to 10 partitions and Cassandra's 5 KiB batch warning
 * per batch with the same replicas (the driver's `getReplicas`; each batch routed by its first
 * row's key), with at most `maxConcurrency` requests in flight across calls. The consumer's own
 * limiter (`lanes.ts`), key encoders (`routingKey`, `dateBytes`) and packer (`packByReplicas`,
 * whose size estimate counts a driver type as 8 bytes) shape the batches: harness, not data path.
 */
import { dateBytes, routingKey } from "@repo/cassandra";
import type { Tick } from "@repo/contracts";
import cassandra from "cassandra-driver";
import { createLanes } from "../src/cassandra/lanes.ts";
import { type PartitionRows, packByReplicas } from "../src/cassandra/partition-writes.ts";

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
  const send = (bound: unknown[][], key: Buffer) =>
    limited(() =>
      client.batch(
        bound.map((params) => ({ query: INSERT, params })),
        {
          prepare: true,
          logged: false,
          consistency: cassandra.types.consistencies.localQuorum,
          routingKey: key,
        },
      ),
    );
  /** Each partition's replica set, asked of the driver's token map once per partition. */
  const replicas = new Map<string, string>();
  const replicasOf = (name: string, key: Buffer) => {
    let hosts = replicas.get(name);
    if (hosts === undefined) {
      hosts = (client.getReplicas(client.keyspace, key) ?? [])
        .map((host) => host.address)
        .sort()
        .join(",");
      replicas.set(name, hosts);
    }
    return hosts;
  };
  return {
    async writeTicks(ticks: Tick[]): Promise<void> {
      // Each row is its partition's routing key, all a request needs beside the bound values.
      const partitions = new Map<string, PartitionRows<Buffer> & { key: Buffer }>();
      for (const tick of ticks) {
        const name = `${tick.symbol}/${Math.floor(tick.eventTime / (DAY_MS * 1000))}`;
        let partition = partitions.get(name);
        if (!partition) {
          const key = routingKey([Buffer.from(tick.symbol), dateBytes(tick.eventTime)]);
          partition = { key, replicas: replicasOf(name, key), rows: [], bound: [] };
          partitions.set(name, partition);
        }
        partition.rows.push(partition.key);
        partition.bound.push(paramsOf(tick));
      }
      const batches = packByReplicas(partitions.values(), options.batchMaxRows).map(
        ({ rows, bound }) => send(bound, rows[0] as Buffer),
      );
      await Promise.all(batches);
    },
  };
}
