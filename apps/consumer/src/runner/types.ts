import type { Bar } from "@repo/contracts";
import type { ConsumedRecord, ManualCommitConsumer } from "@repo/kafka-node";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { Lateness } from "../bars/lateness.ts";
import type { TickStore } from "../cassandra/store.ts";
import type { DecodedTick, PoisonReason } from "../tick/decode.ts";

/** A record that goes to the dead-letter topic, with why. */
export interface DeadLetter {
  record: ConsumedRecord;
  reason: PoisonReason;
}

export interface RunnerOptions {
  consumer: Pick<ManualCommitConsumer, "poll" | "commit" | "pauseAll" | "resumeAll">;
  /**
   * Returns poison with its reason; throws (or rejects) only transient errors (registry
   * unreachable). A promise only while the record's schema is being looked up.
   */
  decode: (value: Buffer | null) => DecodedTick | Promise<DecodedTick>;
  store: TickStore;
  /** Resolves once Kafka acknowledged every dead letter. */
  publishDeadLetters: (letters: DeadLetter[]) => Promise<void>;
  /** Resolves once Kafka acknowledged every bar it could encode, with the bars it could not. */
  publishBars: (bars: Bar[]) => Promise<Bar[]>;
  lateness: Lateness;
  stats: Stats;
  log: Logger;
  maxBatch: number;
  /** Polled batches being written at once (their tick writes overlap; the rest stays in order). */
  maxInFlightBatches: number;
  maxConcurrency: number;
  retryMaxDelayMs: number;
  /** How long a final (late) minute stays in memory after a batch last touched it (30 s). */
  finalMinuteGraceMs?: number;
  /** How long a background commit may take to show in Kafka before it counts as lost (3 s). */
  commitSettleMs?: number;
}
