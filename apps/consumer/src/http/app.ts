import { createServiceApp, type Readiness } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type ConsumerView, consumerStats } from "../stats.ts";

/**
 * The consumer's HTTP edge: `/healthz`, `/readyz` (Kafka, Cassandra, registry, no failing step)
 * `/stats` in the shape the issue defines and `/metrics` with the lag of each partition.
 *
 * @example
 *   const app = createConsumerApp(log, view);
 *   await app.request("/stats"); // {"service":"consumer","records":{…},"lag":{…},…}
 */
export function createConsumerApp(
  log: Logger,
  view: ConsumerView & { readiness: () => Readiness },
  allowedOrigins: readonly string[] = [],
) {
  return createServiceApp({
    service: "consumer",
    log,
    allowedOrigins,
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
