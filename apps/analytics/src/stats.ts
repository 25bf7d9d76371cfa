import type { PartitionLag } from "@repo/kafka-node/types";
import { quantiles, type Stats } from "@repo/platform/stats";
import { WEBHOOK_METRIC } from "./alerts/webhooks.ts";

/** The analytics metric names: written by the runner and the edges, read by `/stats` and `/metrics`. */
export const METRIC = {
  barsConsumed: "bars.consumed",
  /** Bar versions with fewer trades than the one held: ignored. */
  barsStale: "bars.stale",
  /** Records of the bars topic that are not bars, by reason (`skipped.corrupt_avro`): logged, skipped. */
  barsSkipped: (code: string) => `skipped.${code}`,
  sessionsLoaded: "sessions.loaded",
  indicatorRows: "indicators.written",
  indicatorsPublished: "indicators.published",
  alertsFired: "alerts.fired",
  /** Firings whose dedup key was already stored (a replay, another member): not delivered again. */
  alertsDuplicate: "alerts.duplicate",
  batchMs: "batchMs",
  /** Bar record timestamp (when the consumer published it) → its indicators durable. */
  barToIndicatorsMs: "barToIndicatorsMs",
} as const;

export interface AnalyticsView {
  stats: Stats;
  lag: () => PartitionLag[];
  sessions: () => number;
  rules: () => number;
  streamClients: () => number;
  webhooksWaiting: () => number;
}

/**
 * The body of `GET /stats`.
 *
 * @example
 *   analyticsStats(view).indicators.written;
 */
export function analyticsStats(view: AnalyticsView) {
  const { stats } = view;
  const count = (name: string) => stats.counter(name).value;
  const lag = view.lag();
  return {
    service: "analytics" as const,
    uptimeSeconds: stats.uptimeSeconds(),
    bars: {
      consumed: count(METRIC.barsConsumed),
      stale: count(METRIC.barsStale),
      skipped: stats.counters("skipped."),
    },
    sessions: { held: view.sessions(), loaded: count(METRIC.sessionsLoaded) },
    indicators: {
      written: count(METRIC.indicatorRows),
      published: count(METRIC.indicatorsPublished),
    },
    alerts: {
      rules: view.rules(),
      fired: count(METRIC.alertsFired),
      duplicate: count(METRIC.alertsDuplicate),
      streamClients: view.streamClients(),
    },
    webhooks: {
      waiting: view.webhooksWaiting(),
      delivered: count(WEBHOOK_METRIC.delivered),
      retried: count(WEBHOOK_METRIC.retried),
      restored: count(WEBHOOK_METRIC.restored),
      dropped: stats.counters("webhooks.dropped."),
    },
    lag: {
      total: lag.reduce((sum, p) => sum + p.lag, 0),
      byPartition: Object.fromEntries(lag.map((p) => [String(p.partition), p.lag])),
    },
    latency: {
      batchMs: quantiles(stats.latency(METRIC.batchMs).summary()),
      barToIndicatorsMs: quantiles(stats.latency(METRIC.barToIndicatorsMs).summary()),
    },
  };
}

export type AnalyticsStats = ReturnType<typeof analyticsStats>;
