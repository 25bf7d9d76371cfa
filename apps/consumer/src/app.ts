import { type AppBaseOptions, appBase, createServiceApp } from "@repo/platform/http";
import { CONSUMER_COUNTERS, type ConsumerView, consumerStats } from "./stats.ts";

export interface ConsumerAppOptions extends AppBaseOptions {
  /** What `/stats` and `/metrics` read: the stats registry, the partition lag, Cassandra. */
  view: ConsumerView;
}

/**
 * The consumer's HTTP edge: `/healthz`, `/readyz` (Kafka, Cassandra, registry, no failing step)
 * `/stats` in the shape the issue defines and `/metrics` with the lag of each partition.
 *
 * @example
 *   const app = createConsumerApp({ log, view: { stats, lag, cassandraConnected }, readiness: health.readiness });
 *   await app.request("/stats"); // {"service":"consumer","records":{…},"lag":{…},…}
 */
export function createConsumerApp(options: ConsumerAppOptions) {
  const { view } = options;
  return createServiceApp({
    ...appBase(options),
    service: "consumer",
    stats: () => consumerStats(view),
    counters: CONSUMER_COUNTERS,
    gauges: () =>
      view.lag().map((p) => ({
        name: "partitionLag",
        help: "Records between the committed offset and the high watermark, per assigned partition.",
        labels: { topic: p.topic, partition: String(p.partition) },
        value: p.lag,
      })),
  });
}
