import type { ConsumedRecord, ManualCommitConsumer } from "@repo/kafka-node";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import { partitionKey } from "./partitions.ts";

export interface PollerOptions {
  consumer: Pick<ManualCommitConsumer, "poll">;
  maxBatch: number;
  retryMaxDelayMs: number;
  log: Logger;
  isStopping: () => boolean;
}

/**
 * The loop's reads from Kafka: the next batch (records a keep-alive poll already returned first,
 * in order), and keep-alive polls of the paused consumer while a step retries, so the member stays
 * in its group however long an outage lasts (librdkafka leaves the group when the application does
 * not poll within max.poll.interval.ms).
 *
 * @example
 *   const poller = createPoller({ consumer, maxBatch: 2000, retryMaxDelayMs: 5000, log, isStopping });
 *   const records = await poller.next();
 *   await poller.keepAlive(800); // while a write step waits to retry
 */
export function createPoller(options: PollerOptions) {
  const { consumer, log } = options;
  /** Records a keep-alive poll returned while a step was retrying; handled next, in order. */
  const pending: ConsumedRecord[] = [];
  let failedPolls = 0;
  return {
    async next(): Promise<ConsumedRecord[]> {
      if (pending.length > 0) return pending.splice(0, options.maxBatch);
      try {
        const records = await consumer.poll(options.maxBatch);
        failedPolls = 0;
        return records;
      } catch (error) {
        log.warn({ err: error }, "poll failed");
        await sleep(backoffDelay(failedPolls++, { maxDelayMs: options.retryMaxDelayMs }));
        return [];
      }
    },
    /** Polls the (paused) consumer at least once, and for `ms`. */
    async keepAlive(ms: number) {
      const until = performance.now() + ms;
      do {
        const polled = performance.now();
        try {
          pending.push(...(await consumer.poll(options.maxBatch)));
        } catch (error) {
          log.debug({ err: error }, "keep-alive poll failed");
        }
        const left = until - performance.now();
        if (performance.now() - polled < 50 && left > 0) await sleep(Math.min(left, 100));
      } while (!options.isStopping() && performance.now() < until);
    },
    /** Forgets held records of revoked partitions: they are the new owner's to read. */
    drop(keys: Set<string>) {
      const kept = pending.filter((record) => !keys.has(partitionKey(record)));
      pending.splice(0, pending.length, ...kept);
    },
  };
}

export type Poller = ReturnType<typeof createPoller>;
