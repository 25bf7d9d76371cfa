import type { ManualCommitConsumer, PartitionOffset } from "@repo/kafka-node";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import { METRIC } from "../stats.ts";
import { type Ownership, partitionKey } from "./partitions.ts";

export interface OffsetLedgerOptions {
  consumer: Pick<ManualCommitConsumer, "commit">;
  ownership: Ownership;
  stats: Stats;
  log: Logger;
  /** How long a background commit may take to show in Kafka before it counts as lost (3 s). */
  commitSettleMs?: number;
}

/**
 * The offsets this member commits. Background commits are fire-and-forget (librdkafka reports no
 * broker answer, and one sent during a rebalance can be lost or applied after a newer one), so
 * {@link reconcile} compares what Kafka holds with what was sent and sends again where they differ.
 * Offsets of partitions revoked since their batch was polled are never sent: another member
 * commits them now.
 *
 * @example
 *   const ledger = createOffsetLedger({ consumer, ownership, stats, log });
 *   ledger.commit(plan.commits, false, batchEpoch);
 *   ledger.reconcile(await consumer.lag()); // every second, from the lag refresh
 */
export function createOffsetLedger(options: OffsetLedgerOptions) {
  const { consumer, ownership, stats, log } = options;
  /** Offsets not yet handed to Kafka. */
  const uncommitted = new Map<string, PartitionOffset>();
  /** The newest offset handed to Kafka per owned partition, committed again (waiting) at stop. */
  const requested = new Map<string, PartitionOffset>();
  /** When each partition's offset was last handed to Kafka (a commit takes a moment to show). */
  const sentAt = new Map<string, number>();
  return {
    /** Commits in the background (or, with `wait`, everything requested, waiting for the broker). */
    commit(offsets: PartitionOffset[], wait = false, epoch = ownership.epoch) {
      const owned = ownership.ownedSince(epoch);
      for (const offset of offsets) {
        if (!owned(offset)) continue;
        const key = partitionKey(offset);
        uncommitted.set(key, offset);
        requested.set(key, offset);
      }
      const due = wait ? [...requested.values()] : [...uncommitted.values()];
      if (due.length === 0) return;
      try {
        consumer.commit(due, { wait });
        const now = Date.now();
        for (const offset of due) sentAt.set(partitionKey(offset), now);
        uncommitted.clear();
      } catch (error) {
        log.warn({ err: error }, "offset commit failed; will retry with the next batch");
      }
    },
    /**
     * Commits again every offset of ours that Kafka still does not hold `commitSettleMs` after it
     * was sent: `committed` is what the broker answers now. Offsets are only ever those of finished
     * batches, so sending one twice is harmless.
     */
    reconcile(committed: { topic: string; partition: number; committed: number }[]) {
      let behind = 0;
      for (const { topic, partition, committed: held } of committed) {
        const key = partitionKey({ topic, partition });
        const ours = requested.get(key);
        if (!ours || held >= ours.offset || uncommitted.has(key)) continue;
        if (Date.now() - (sentAt.get(key) ?? 0) < (options.commitSettleMs ?? 3_000)) continue;
        uncommitted.set(key, ours);
        behind += 1;
      }
      if (behind === 0) return;
      stats.counter(METRIC.commitsResent).add(behind);
      log.warn({ partitions: behind }, "Kafka lost committed offsets; committing them again");
    },
    /** Forgets revoked partitions: an old offset of ours must not be committed over the new owner's. */
    forget(keys: string[]) {
      for (const key of keys) {
        requested.delete(key);
        uncommitted.delete(key);
        sentAt.delete(key);
      }
    },
  };
}
