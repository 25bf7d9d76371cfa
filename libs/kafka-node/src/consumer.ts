import type {
  LibrdKafkaError,
  KafkaConsumer as RdKafkaConsumer,
} from "@confluentinc/kafka-javascript";
import { rdkafka } from "./addon.ts";
import { baseKafkaConfig, watchRefusals } from "./config.ts";
import { toRecordWithoutHeaders } from "./record.ts";
import type {
  ManualCommitConsumer,
  ManualCommitConsumerOptions,
  PartitionLag,
  PartitionOffset,
} from "./types.ts";

/** The binding's asynchronous commit (rd_kafka_commit async); its typings omit it. */
interface AsyncCommit {
  commitCb(offsets: PartitionOffset[], callback: (error: LibrdKafkaError | null) => void): void;
}

/**
 * Creates a {@link ManualCommitConsumer} (Node only: loads librdkafka).
 *
 * @example
 *   const consumer = createManualCommitConsumer({ brokers, groupId: "market-consumer", clientId: "consumer" });
 *   await consumer.start(["market.ticks"]);
 *   const records = await consumer.poll(500);
 *   // … make them durable, then:
 *   consumer.commit([{ topic: "market.ticks", partition: 0, offset: last.offset + 1 }]);
 */
export function createManualCommitConsumer(
  options: ManualCommitConsumerOptions,
): ManualCommitConsumer {
  const refusals = watchRefusals(options.security);
  /** A fresh native client per connection attempt (a failed client is not reused). */
  const createClient = (): RdKafkaConsumer => {
    owned = undefined;
    const client: RdKafkaConsumer = new rdkafka.KafkaConsumer(
      {
        ...baseKafkaConfig(options.brokers, options.clientId, options.security),
        "group.id": options.groupId,
        "enable.auto.commit": false,
        "enable.auto.offset.store": false,
        "partition.assignment.strategy": "cooperative-sticky",
        "enable.partition.eof": false,
        rebalance_cb: true,
        ...options.config,
      } as never,
      // A topic config object replaces the default one, so the reset policy must live here.
      { "auto.offset.reset": "earliest" },
    );
    client.setDefaultConsumeTimeout(options.pollTimeoutMs ?? 200);
    // Wait for the first record only, then take what is already fetched: otherwise a poll waits up
    // to the timeout for every record of the batch, which adds seconds at a trickle. The setter is
    // marked private in the binding's typings (its KafkaJS-style API uses it) but is stable since 1.0.
    const firstOnly = client as unknown as {
      setDefaultIsTimeoutOnlyForFirstMessage?(on: boolean): void;
    };
    firstOnly.setDefaultIsTimeoutOnlyForFirstMessage?.(true);
    client.on("rebalance", (error, partitions) => {
      // The binding applies the (incremental) assignment right after this event, synchronously.
      owned = undefined;
      process.nextTick(() => {
        owned = undefined;
      });
      const event =
        error.code === rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS ? "assign" : "revoke";
      const list = partitions.map(({ topic, partition }) => ({ topic, partition }));
      if (event === "assign" && paused) client.pause(list);
      options.onRebalance?.(event, list);
    });
    client.on("event.error", (error) => {
      refusals.observe(error);
      options.onError?.(error);
    });
    client.on("event.log", refusals.observeLog);
    return client;
  };
  /**
   * The assignment as the binding reports it, read once per rebalance: reading it per commit cost
   * ≈ 2 % of the consumer's CPU in a drain. Only a rebalance (or a new client) changes it.
   */
  let owned: { list: { topic: string; partition: number }[]; keys: Set<string> } | undefined;
  let consumer = createClient();
  let paused = false;

  const assigned = () => {
    if (!consumer.isConnected()) return { list: [], keys: new Set<string>() };
    if (!owned) {
      const list = consumer.assignments().map(({ topic, partition }) => ({ topic, partition }));
      owned = { list, keys: new Set(list.map((a) => `${a.topic}\u0000${a.partition}`)) };
    }
    return owned;
  };
  const assignments = () => assigned().list.map(({ topic, partition }) => ({ topic, partition }));

  return {
    start: (topics) =>
      new Promise((resolve, reject) => {
        consumer.connect({ timeout: 10_000 }, (error) => {
          if (error) {
            const failed = consumer;
            consumer = createClient();
            try {
              failed.disconnect(() => {});
            } catch {
              // never connected: nothing to close
            }
            return reject(
              refusals.explain() ?? new Error(`cannot connect to Kafka: ${error.message}`),
            );
          }
          consumer.subscribe(topics);
          resolve();
        });
      }),
    poll: (max) =>
      new Promise((resolve, reject) => {
        consumer.consume(max, (error, messages) => {
          if (error) return reject(error);
          resolve(messages.map(toRecordWithoutHeaders));
        });
      }),
    commit(offsets, { wait = true } = {}) {
      const { keys } = assigned();
      const committable = offsets.filter((o) => keys.has(`${o.topic}\u0000${o.partition}`));
      if (committable.length === 0) return committable;
      if (wait) {
        consumer.commitSync(committable);
      } else {
        // commitCb is the binding's asynchronous commit (rd_kafka_commit async); its typings omit it.
        (consumer as unknown as AsyncCommit).commitCb(committable, (error) => {
          if (error) options.onError?.(error);
        });
      }
      return committable;
    },
    pauseAll() {
      paused = true;
      const list = assignments();
      if (list.length > 0) consumer.pause(list);
    },
    resumeAll() {
      paused = false;
      const list = assignments();
      if (list.length > 0) consumer.resume(list);
    },
    get paused() {
      return paused;
    },
    assignments,
    async lag(timeoutMs = 2000) {
      const owned = assignments();
      if (owned.length === 0) return [];
      const committed = await new Promise<Map<string, number>>((resolve, reject) =>
        consumer.committed(owned, timeoutMs, (error, list) =>
          error
            ? reject(error)
            : resolve(new Map(list.map((p) => [`${p.topic}\u0000${p.partition}`, p.offset]))),
        ),
      );
      return Promise.all(
        owned.map(
          ({ topic, partition }) =>
            new Promise<PartitionLag>((resolve, reject) =>
              consumer.queryWatermarkOffsets(topic, partition, timeoutMs, (error, marks) => {
                if (error) return reject(error);
                const stored = committed.get(`${topic}\u0000${partition}`) ?? -1;
                const base = stored >= 0 ? stored : marks.lowOffset;
                resolve({
                  topic,
                  partition,
                  committed: stored,
                  highWatermark: marks.highOffset,
                  lag: Math.max(0, marks.highOffset - base),
                });
              }),
            ),
        ),
      );
    },
    isConnected: () => consumer.isConnected(),
    ping: (timeoutMs = 2000) =>
      new Promise((resolve) => {
        if (!consumer.isConnected()) return resolve(false);
        consumer.getMetadata({ timeout: timeoutMs }, (error, metadata) =>
          resolve(!error && metadata.brokers.length > 0),
        );
      }),
    stop: () =>
      new Promise((resolve) => {
        if (!consumer.isConnected()) return resolve();
        consumer.disconnect(() => resolve());
      }),
  };
}
