import { labelledCounter } from "@repo/platform/metrics";
import { quantiles, type Stats } from "@repo/platform/stats";
import type { StreamRefusal } from "./stream/admission.ts";

const requests = labelledCounter({
  counter: "requests.{status}",
  help: "Answers to /v1 requests (streams excluded), by status class.",
  values: { status: ["1xx", "2xx", "3xx", "4xx", "5xx"] },
});

/** Why a stream ended, as counted in `/stats` `stream.ended`. */
export type StreamEnd = "client_gone" | "slow_client" | "write_timeout" | "shutdown";

/** The api's labelled counters, exported by `/metrics` with their labels. */
export const API_COUNTERS = [requests];

/** The api's metric names: written by the request middleware and the stream, read by `/stats` and `/metrics`. */
export const METRIC = {
  /** Answers by status class, e.g. `requests.2xx`. */
  requests: (statusClass: `${number}xx` | "") => requests.name({ status: statusClass }),
  requestLatencyMs: "requestLatencyMs",
  /** First events read from Cassandra for a new stream client. */
  streamSnapshots: "stream.snapshots",
  /** Snapshots that failed and attempts to start the Kafka feed that failed. */
  streamErrors: "stream.errors",
  /** Records the Kafka feed read, and those it could not show (undecodable or invalid). */
  streamFeedRecords: "stream.feed.records",
  streamFeedSkipped: "stream.feed.skipped",
  /** Events sent to stream clients by kind, e.g. `stream.events.quote`. */
  streamEvents: (kind: "quote" | "bar" | "") => `stream.events.${kind}`,
  streamSnapshotMs: "streamSnapshotMs",
  /** Streams refused by cap, e.g. `stream.refused.too_many_streams`. */
  streamRefused: (reason: StreamRefusal | "") => `stream.refused.${reason}`,
  /** Streams ended by why, e.g. `stream.ended.slow_client`. */
  streamEnded: (end: StreamEnd | "") => `stream.ended.${end}`,
} as const;

/** What `/stats` reads besides the counters. */
export interface ApiView {
  streamClients: () => number;
  cassandraConnected: () => boolean;
}

/**
 * The body of `GET /stats`.
 *
 * @example
 *   apiStats(stats, { streamClients: () => 0, cassandraConnected: () => true }).requests.count;
 */
export function apiStats(stats: Stats, view: ApiView) {
  const requests = stats.latency(METRIC.requestLatencyMs).summary();
  return {
    service: "api" as const,
    uptimeSeconds: stats.uptimeSeconds(),
    requests: {
      count: requests.count,
      byStatus: stats.counters(METRIC.requests("")),
      latencyMs: quantiles(requests),
    },
    stream: {
      clients: view.streamClients(),
      snapshots: stats.counter(METRIC.streamSnapshots).value,
      errors: stats.counter(METRIC.streamErrors).value,
      feed: {
        records: stats.counter(METRIC.streamFeedRecords).value,
        skipped: stats.counter(METRIC.streamFeedSkipped).value,
      },
      events: stats.counters(METRIC.streamEvents("")),
      snapshotMs: quantiles(stats.latency(METRIC.streamSnapshotMs).summary()),
      refused: stats.counters(METRIC.streamRefused("")),
      ended: stats.counters(METRIC.streamEnded("")),
    },
    memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
    cassandra: { connected: view.cassandraConnected() },
  };
}

/** What `GET /stats` answers; tests read it with this type. */
export type ApiStats = ReturnType<typeof apiStats>;
