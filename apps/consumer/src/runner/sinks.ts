import type { Bar } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { Steps } from "@repo/platform/steps";
import type { MinuteBar } from "../cassandra/rows.ts";
import type { RejectedRow, TickStore } from "../cassandra/store.ts";
import { boundReason } from "../kafka/dead-letters.ts";
import { METRIC } from "../stats.ts";
import type { ConsumerTick } from "../tick/decode.ts";
import type { DeadLetter } from "./types.ts";

/** Samples behind the end-to-end latency quantiles (1.6 s at 10,000 ticks/s, 8 s at 2,000). */
const LATENCY_WINDOW = 16_384;

export interface SinkOptions {
  store: Pick<TickStore, "writeBars" | "writeLatest">;
  publishDeadLetters: (letters: DeadLetter[]) => Promise<void>;
  publishBars: (bars: Bar[]) => Promise<Bar[]>;
  steps: Steps;
  stats: Stats;
  log: Logger;
}

/**
 * Where a finished batch goes besides its ticks: dead letters, bar rows and records, latest quotes,
 * each through a retried step, each counted.
 *
 * @example
 *   const sinks = createSinks({ store, publishDeadLetters, publishBars, steps, stats, log });
 *   await Promise.all([sinks.deadLetter(letters), sinks.writeBars(bars), sinks.writeLatest(written)]);
 */
export function createSinks(options: SinkOptions) {
  const { store, steps, stats, log } = options;
  const endToEnd = stats.latency(METRIC.endToEndMs, LATENCY_WINDOW);
  const eventToStore = stats.latency(METRIC.eventToStoreMs, LATENCY_WINDOW);

  function refusedRows<T>(what: "bar" | "latest", rows: RejectedRow<T>[]) {
    if (rows.length === 0) return;
    stats.counter(METRIC.refusedRows(what)).add(rows.length);
    for (const { error } of rows) log.error({ err: error }, `Cassandra refused a ${what} row`);
  }

  return {
    async deadLetter(letters: DeadLetter[]) {
      if (letters.length === 0) return;
      await steps.run("deadLetter", () => options.publishDeadLetters(letters));
      stats.counter(METRIC.deadLettered).add(letters.length);
      for (const { record, reason } of letters) {
        stats.counter(METRIC.deadLetteredFor(reason.code)).add();
        log.warn(
          {
            partition: record.partition,
            offset: record.offset,
            reason: reason.code,
            detail: boundReason(reason.detail),
          },
          "dead-lettered",
        );
      }
    },

    /**
     * Bar rows and bar records at once: each row is versioned by what its minute has seen, so order
     * is free. A minute whose every trade is cancelled has its row deleted and publishes no record
     * (the Bar schema cannot say "no bar"): the bars topic keeps that minute's last version.
     */
    async writeBars(minutes: MinuteBar[]) {
      if (minutes.length === 0) return;
      const bars = minutes.flatMap((m) => (m.bar ? [m.bar] : []));
      const [refused, unpublished] = await Promise.all([
        steps.run("writeBars", () => store.writeBars(minutes)),
        bars.length > 0
          ? steps.run("publishBars", () => options.publishBars(bars))
          : Promise.resolve([]),
      ]);
      refusedRows("bar", refused);
      if (unpublished.length > 0) {
        stats.counter(METRIC.barsUnpublished).add(unpublished.length);
        log.error(
          { bars: unpublished.length },
          "bars the registry schema cannot encode were not published",
        );
      }
      stats.counter(METRIC.barsWritten).add(minutes.length);
    },

    /** `latest`: each symbol's newest tick to store (`LatestQuotes.due`). */
    async writeLatest(latest: ConsumerTick[]) {
      if (latest.length === 0) return;
      refusedRows("latest", await steps.run("writeLatest", () => store.writeLatest(latest)));
      stats.counter(METRIC.latestWritten).add(latest.length);
    },

    /** How late each tick is once durable: from ingest (our pipeline) and from the event (the market). */
    recordLatencies(ticks: ConsumerTick[]) {
      const durableUs = Date.now() * 1000;
      for (const tick of ticks) {
        endToEnd.record((durableUs - tick.ingestTime) / 1000);
        eventToStore.record((durableUs - tick.eventTime) / 1000);
      }
    },
  };
}
