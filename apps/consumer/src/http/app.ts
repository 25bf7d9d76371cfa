import type { PartitionLag } from "@repo/kafka-node";
import { createServiceApp, type Readiness } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";

export interface ConsumerView {
  stats: Stats;
  lag: () => PartitionLag[];
  cassandraConnected: () => boolean;
  readiness: () => Readiness;
}

/**
 * The consumer's HTTP edge: `/healthz`, `/readyz` (Kafka, Cassandra, registry, no failing step)
 * `/stats` in the shape the issue defines and `/metrics` with the lag of each partition.
 *
 * @example
 *   const app = createConsumerApp(log, view);
 *   await app.request("/stats"); // {"service":"consumer","records":{…},"lag":{…},…}
 */
export function createConsumerApp(log: Logger, view: ConsumerView) {
  return createServiceApp({
    service: "consumer",
    log,
    readiness: view.readiness,
    stats: () => consumerStats(view),
    gauges: () =>
      view.lag().map((p) => ({
        name: "partitionLag",
        help: "Records between the committed offset and the high watermark, per assigned partition.",
        labels: { topic: p.topic, partition: String(p.partition) },
        value: p.lag,
      })),
  });
}

const quantiles = ({ p50, p99 }: { p50: number | null; p99: number | null }) => ({ p50, p99 });

export function consumerStats(view: ConsumerView) {
  const { stats } = view;
  const lag = view.lag();
  const batches = stats.latency("batchMs").summary();
  return {
    service: "consumer",
    uptimeSeconds: stats.uptimeSeconds(),
    records: {
      consumed: stats.counter("records.consumed").value,
      written: stats.counter("records.written").value,
      deadLettered: stats.counter("records.deadLettered").value,
    },
    /** Dead letters by reason code (`invalid_value`, `corrupt_avro`, `bar_out_of_range`, …). */
    deadLettered: stats.counters("deadLettered."),
    bars: {
      written: stats.counter("bars.written").value,
      lateTicks: stats.counter("bars.lateTicks").value,
      /** Minutes whose bar could not be represented (their trades were dead-lettered). */
      refused: stats.counter("bars.refused").value,
      /** Open minutes read back from stored ticks (first touch, restart, rebalance). */
      rebuilt: stats.counter("bars.rebuilt").value,
    },
    lag: {
      total: lag.reduce((sum, p) => sum + p.lag, 0),
      byPartition: Object.fromEntries(lag.map((p) => [String(p.partition), p.lag])),
    },
    batches: { count: batches.count, p50Ms: batches.p50, p99Ms: batches.p99 },
    /** Per tick once durable: ingestTime → written (our pipeline) and eventTime → written. */
    latency: {
      endToEndMs: quantiles(stats.latency("endToEndMs").summary()),
      eventToStoreMs: quantiles(stats.latency("eventToStoreMs").summary()),
    },
    cassandra: { connected: view.cassandraConnected() },
  };
}
