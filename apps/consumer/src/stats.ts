import type { PartitionLag } from "@repo/kafka-node";
import { labelledCounter } from "@repo/platform/metrics";
import type { Stats } from "@repo/platform/stats";

const deadLetteredFor = labelledCounter({
  counter: "deadLettered.{reason}",
  help: "Records sent to the dead-letter topic, by reason code.",
});

/** The consumer's labelled counters, exported by `/metrics` with their labels. */
export const CONSUMER_COUNTERS = [deadLetteredFor];

/** The consumer's metric names: written by the runner, read by `/stats` and `/metrics`. */
export const METRIC = {
  consumed: "records.consumed",
  written: "records.written",
  deadLettered: "records.deadLettered",
  /** Dead letters of one reason code, e.g. `deadLettered.invalid_value`. */
  deadLetteredFor: (code: string) => deadLetteredFor.name({ reason: code }),
  /** Dead letters Kafka could not take whole, sent as a truncated envelope instead. */
  deadLettersTruncated: "deadLetters.truncated",
  /** Records Kafka refused even as an envelope: logged with topic, partition and offset, skipped. */
  deadLettersSkipped: "deadLetters.skipped",
  barsWritten: "bars.written",
  lateTicks: "bars.lateTicks",
  barsRefused: "bars.refused",
  barsRebuilt: "bars.rebuilt",
  barsUnpublished: "bars.unpublished",
  /** Rows written to `latest_quotes`. */
  latestWritten: "latest.written",
  /** A symbol's newest tick of a batch left to a later in-flight batch that holds a newer one. */
  latestSuperseded: "latest.superseded",
  /** Offsets committed again because Kafka did not hold them (a commit lost in a rebalance). */
  commitsResent: "commits.resent",
  /** Rows Cassandra refused for their data, by table role (`bar.refused`, `latest.refused`). */
  refusedRows: (table: "bar" | "latest") => `${table}.refused`,
  batchMs: "batchMs",
  endToEndMs: "endToEndMs",
  eventToStoreMs: "eventToStoreMs",
} as const;

export interface ConsumerView {
  stats: Stats;
  lag: () => PartitionLag[];
  /** When the lag `lag()` returns was read from Kafka (epoch ms), null before the first read. */
  lagReadAt: () => number | null;
  cassandraConnected: () => boolean;
}

const quantiles = ({ p50, p99 }: { p50: number | null; p99: number | null }) => ({ p50, p99 });

/**
 * The body of `GET /stats`.
 *
 * @example
 *   consumerStats({ stats, lag: () => [], lagReadAt: () => null, cassandraConnected: () => true }).records.written;
 */
export function consumerStats(view: ConsumerView) {
  const { stats } = view;
  const count = (name: string) => stats.counter(name).value;
  const lag = view.lag();
  const batches = stats.latency(METRIC.batchMs).summary();
  return {
    service: "consumer" as const,
    uptimeSeconds: stats.uptimeSeconds(),
    records: {
      consumed: count(METRIC.consumed),
      written: count(METRIC.written),
      deadLettered: count(METRIC.deadLettered),
    },
    /** Dead letters by reason code (`invalid_value`, `corrupt_avro`, `bar_out_of_range`, …). */
    deadLettered: stats.counters(METRIC.deadLetteredFor("")),
    /** Dead letters sent as a truncated envelope, and records skipped because even that was refused. */
    deadLetters: {
      truncated: count(METRIC.deadLettersTruncated),
      skipped: count(METRIC.deadLettersSkipped),
    },
    bars: {
      written: count(METRIC.barsWritten),
      lateTicks: count(METRIC.lateTicks),
      /** Minutes whose bar could not be represented (their trades were dead-lettered). */
      refused: count(METRIC.barsRefused),
      /** Open minutes read back from stored ticks (first touch, restart, rebalance, late trades). */
      rebuilt: count(METRIC.barsRebuilt),
    },
    /**
     * Rows written to `latest_quotes`, and a batch's newest ticks left to a later batch that holds a
     * newer tick of the symbol (during a backlog a symbol is rewritten at most once a second).
     */
    latest: {
      written: count(METRIC.latestWritten),
      superseded: count(METRIC.latestSuperseded),
    },
    lag: {
      total: lag.reduce((sum, p) => sum + p.lag, 0),
      byPartition: Object.fromEntries(lag.map((p) => [String(p.partition), p.lag])),
      /** When Kafka was asked (epoch ms; once a readiness round): lag describes that moment. */
      readAt: view.lagReadAt(),
    },
    /** Offsets committed again because Kafka did not hold them (lost in a rebalance). */
    commits: { resent: count(METRIC.commitsResent) },
    batches: { count: batches.count, p50Ms: batches.p50, p99Ms: batches.p99 },
    /** Per tick once durable: ingestTime → written (our pipeline) and eventTime → written. */
    latency: {
      endToEndMs: quantiles(stats.latency(METRIC.endToEndMs).summary()),
      eventToStoreMs: quantiles(stats.latency(METRIC.eventToStoreMs).summary()),
    },
    cassandra: { connected: view.cassandraConnected() },
  };
}

/** What `GET /stats` answers; tests read it with this type. */
export type ConsumerStats = ReturnType<typeof consumerStats>;
