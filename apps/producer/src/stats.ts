import type { Stats } from "@repo/platform/stats";

/**
 * The body of `GET /stats`.
 *
 * @example
 *   producerStats(stats, { connected: () => true, queueDepth: () => 0, cachedSchemaIds: () => 1 },
 *     ["ingest"]);
 */
export function producerStats(
  stats: Stats,
  kafka: { connected: () => boolean; queueDepth: () => number; cachedSchemaIds: () => number },
  /** Names of the configured tokens; none means loopback-only, unauthenticated writes. */
  tokenNames: readonly string[] = [],
) {
  const records = stats.counters("records.");
  const delivery = stats.latency("deliveryLatencyMs").summary();
  const request = stats.latency("requestLatencyMs").summary();
  return {
    service: "producer",
    uptimeSeconds: stats.uptimeSeconds(),
    records: {
      accepted: records.accepted ?? 0,
      rejected: records.rejected ?? 0,
      delivered: records.delivered ?? 0,
      failed: records.failed ?? 0,
      invalid: records.invalid ?? 0,
      throttled: records.throttled ?? 0,
    },
    /** Refused fields by schema field name (a record with two bad fields counts twice). */
    invalidByField: stats.counters("invalidByField."),
    deliveryLatencyMs: { p50: delivery.p50, p99: delivery.p99 },
    requestLatencyMs: { p50: request.p50, p99: request.p99, count: request.count },
    kafka: { connected: kafka.connected(), queueDepth: kafka.queueDepth() },
    registry: { cachedSchemaIds: kafka.cachedSchemaIds() },
    /** Who wrote (by token name, never the token) and which writes were refused, by reason. */
    auth: {
      mode: tokenNames.length > 0 ? "bearer tokens" : "none (loopback only)",
      tokens: [...tokenNames],
      requestsByToken: stats.counters("auth.requests."),
      refused: stats.counters("auth.refused."),
    },
  };
}
