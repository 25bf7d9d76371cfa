import type { KafkaConsumer as RdKafkaConsumer } from "@confluentinc/kafka-javascript";
import { rdkafka } from "./addon.ts";
import { baseKafkaConfig } from "./config.ts";
import { toConsumedRecord } from "./reader.ts";
import type { ConsumedRecord, TopicTail, TopicTailOptions } from "./types.ts";

interface IncrementalAssign {
  incrementalAssign(partitions: { topic: string; partition: number; offset: number }[]): void;
}

const POLL_MS = 200;
const BATCH = 1_000;
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * A {@link TopicTail} (Node only: loads librdkafka): assign and consume, no group, no commits.
 *
 * @example
 *   const tail = createTopicTail({ brokers, clientId: "api-stream", topics: ["market.ticks"],
 *     onRecords: (records) => console.log(records.length) });
 *   await tail.start();
 */
export function createTopicTail(options: TopicTailOptions): TopicTail {
  let consumer: RdKafkaConsumer | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let refresh: ReturnType<typeof setInterval> | undefined;
  const assigned = new Set<string>();

  const partitionCounts = (client: RdKafkaConsumer) =>
    new Promise<Map<string, number>>((resolve, reject) =>
      client.getMetadata({ timeout: 10_000 }, (error, metadata) => {
        if (error) return reject(error);
        const counts = new Map<string, number>();
        for (const topic of metadata.topics)
          if (options.topics.includes(topic.name) && topic.partitions.length > 0)
            counts.set(topic.name, topic.partitions.length);
        resolve(counts);
      }),
    );

  /** The partition's end now, as a concrete offset. */
  const endOf = (client: RdKafkaConsumer, topic: string, partition: number) =>
    new Promise<number>((resolve, reject) =>
      client.queryWatermarkOffsets(topic, partition, 10_000, (error, marks) =>
        error ? reject(error) : resolve(marks.highOffset),
      ),
    );

  /**
   * Adds the partitions not assigned yet at their end, looked up before assigning: librdkafka
   * resolves a logical "end" only when its fetcher starts, so a record written in between would be
   * skipped. The others stay where they are (incremental assign; absent from the binding's typings).
   */
  const assignNew = async (client: RdKafkaConsumer) => {
    const counts = await partitionCounts(client);
    const fresh: { topic: string; partition: number }[] = [];
    for (const [topic, count] of counts)
      for (let partition = 0; partition < count; partition += 1)
        if (!assigned.has(key(topic, partition))) fresh.push({ topic, partition });
    const added = await Promise.all(
      fresh.map(async (p) => ({ ...p, offset: await endOf(client, p.topic, p.partition) })),
    );
    for (const p of added) assigned.add(key(p.topic, p.partition));
    if (added.length > 0) (client as unknown as IncrementalAssign).incrementalAssign(added);
  };

  const consume = (client: RdKafkaConsumer) =>
    new Promise<ConsumedRecord[]>((resolve, reject) =>
      client.consume(BATCH, (error, messages) =>
        error ? reject(error) : resolve(messages.map(toConsumedRecord)),
      ),
    );

  return {
    async start() {
      if (running) return;
      const client: RdKafkaConsumer = new rdkafka.KafkaConsumer(
        {
          ...baseKafkaConfig(options.brokers, options.clientId, options.security),
          "group.id": `${options.clientId}-tail`,
          "enable.auto.commit": false,
          "enable.auto.offset.store": false,
          "enable.partition.eof": false,
        } as never,
        { "auto.offset.reset": "latest" },
      );
      client.setDefaultConsumeTimeout(options.lingerMs || POLL_MS);
      (
        client as unknown as { setDefaultIsTimeoutOnlyForFirstMessage?(on: boolean): void }
      ).setDefaultIsTimeoutOnlyForFirstMessage?.(true);
      client.on("event.error", (error) => options.onError?.(new Error(error.message)));
      await new Promise<void>((resolve, reject) =>
        client.connect({ timeout: 10_000 }, (error) =>
          error ? reject(new Error(`cannot connect to Kafka: ${error.message}`)) : resolve(),
        ),
      );
      try {
        assigned.clear();
        await assignNew(client);
      } catch (error) {
        await new Promise<void>((resolve) => client.disconnect(() => resolve()));
        throw error;
      }
      consumer = client;
      running = true;
      refresh = setInterval(
        () => void assignNew(client).catch((error) => options.onError?.(error as Error)),
        options.refreshMs ?? 30_000,
      );
      loop = (async () => {
        while (running) {
          try {
            const records = await consume(client);
            // Gathers what arrives within lingerMs of the first record: fewer, larger hand-overs.
            const until = Date.now() + (options.lingerMs ?? 0);
            while (records.length > 0 && records.length < BATCH && Date.now() < until && running)
              for (const record of await consume(client)) records.push(record);
            if (records.length > 0 && running) await options.onRecords(records);
          } catch (error) {
            options.onError?.(error as Error);
            await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          }
        }
      })();
    },
    async stop() {
      running = false;
      clearInterval(refresh);
      await loop;
      const client = consumer;
      consumer = undefined;
      assigned.clear();
      if (client?.isConnected())
        await new Promise<void>((resolve) => client.disconnect(() => resolve()));
    },
    assigned: () => assigned.size,
  };
}
