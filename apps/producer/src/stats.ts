import { labelledCounter } from "@repo/platform/metrics";
import { quantiles, type Stats } from "@repo/platform/stats";

/** Why a write was refused before its records were read. */
export type Refusal =
  | "missing_token"
  | "unknown_token"
  | "topic_not_writable"
  | "topic_not_allowed";

const invalidByField = labelledCounter({
  counter: "invalidByField.{field}",
  help: "Record fields refused by the schema, by field name.",
});
const authRequests = labelledCounter({
  counter: "auth.requests.{token}",
  help: "Writes by the name of the token that authorised them.",
});
const authRefused = labelledCounter({
  counter: "auth.refused.{reason}",
  help: "Writes refused before their records were read, by reason.",
});

/** The producer's labelled counters, exported by `/metrics` with their labels. */
export const PRODUCER_COUNTERS = [invalidByField, authRequests, authRefused];

/** The producer's metric names: written by the publisher and the authoriser, read by `/stats` and `/metrics`. */
export const METRIC = {
  accepted: "records.accepted",
  rejected: "records.rejected",
  delivered: "records.delivered",
  failed: "records.failed",
  invalid: "records.invalid",
  throttled: "records.throttled",
  /** Refused fields by schema field name, e.g. `invalidByField.eventTime`. */
  invalidField: (field: string) => invalidByField.name({ field }),
  /** Writes by token name (never the token), e.g. `auth.requests.ingest`. */
  requestsByToken: (name: string) => authRequests.name({ token: name }),
  /** Refused writes by reason, e.g. `auth.refused.missing_token`. */
  refused: (reason: Refusal | "") => authRefused.name({ reason }),
  deliveryLatencyMs: "deliveryLatencyMs",
  requestLatencyMs: "requestLatencyMs",
} as const;

/** What `/stats` reads from the Kafka producer and the registry client besides the counters. */
export interface ProducerView {
  connected: () => boolean;
  queueDepth: () => number;
  cachedSchemaIds: () => number;
  /** Names of the configured tokens; none means loopback-only, unauthenticated writes. */
  tokenNames: readonly string[];
}

/**
 * The body of `GET /stats`.
 *
 * @example
 *   producerStats(stats, { connected: () => true, queueDepth: () => 0, cachedSchemaIds: () => 1,
 *     tokenNames: ["ingest"] }).records.delivered;
 */
export function producerStats(stats: Stats, view: ProducerView) {
  const count = (name: string) => stats.counter(name).value;
  const request = stats.latency(METRIC.requestLatencyMs).summary();
  return {
    service: "producer" as const,
    uptimeSeconds: stats.uptimeSeconds(),
    records: {
      accepted: count(METRIC.accepted),
      rejected: count(METRIC.rejected),
      delivered: count(METRIC.delivered),
      failed: count(METRIC.failed),
      invalid: count(METRIC.invalid),
      throttled: count(METRIC.throttled),
    },
    /** Refused fields by schema field name (a record with two bad fields counts twice). */
    invalidByField: stats.counters(METRIC.invalidField("")),
    deliveryLatencyMs: quantiles(stats.latency(METRIC.deliveryLatencyMs).summary()),
    requestLatencyMs: { ...quantiles(request), count: request.count },
    kafka: { connected: view.connected(), queueDepth: view.queueDepth() },
    registry: { cachedSchemaIds: view.cachedSchemaIds() },
    /** Who wrote (by token name, never the token) and which writes were refused, by reason. */
    auth: {
      mode: view.tokenNames.length > 0 ? "bearer tokens" : "none (loopback only)",
      tokens: [...view.tokenNames],
      requestsByToken: stats.counters(METRIC.requestsByToken("")),
      refused: stats.counters(METRIC.refused("")),
    },
  };
}

/** What `GET /stats` answers; tests read it with this type. */
export type ProducerStats = ReturnType<typeof producerStats>;
