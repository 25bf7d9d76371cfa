import { createTopicTail, type KafkaSecurity } from "@repo/kafka-node";
import type { ConsumedRecord } from "@repo/kafka-node/types";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import { METRIC } from "../stats.ts";
import type { StreamEvent, StreamFeed } from "./feed.ts";

/**
 * The stream's {@link StreamFeed} on librdkafka (Node only): a group-less tail of the ticks and bars
 * topics from their ends, each record decoded by `decode` and the events handed to `publish` per poll.
 *
 * @example
 *   const feed = createKafkaStreamFeed({ brokers, topics: [ticks, bars], decode, publish: (e) => stream.publish(e), log, stats });
 */
export function createKafkaStreamFeed(options: {
  brokers: string[];
  security?: KafkaSecurity;
  topics: string[];
  decode: (record: ConsumedRecord) => Promise<StreamEvent | undefined>;
  publish: (events: StreamEvent[]) => void;
  log: Logger;
  stats: Stats;
}): StreamFeed {
  const { log, stats } = options;
  const tail = createTopicTail({
    brokers: options.brokers,
    security: options.security,
    clientId: "api-stream",
    topics: options.topics,
    // Each hand-over wakes every stream client's writer: gathering 50 ms of records makes one
    // write per client of what would be many small ones.
    lingerMs: 50,
    onRecords: async (records) => {
      stats.counter(METRIC.streamFeedRecords).add(records.length);
      const events: StreamEvent[] = [];
      for (const record of records) {
        const event = await options.decode(record);
        if (event) events.push(event);
        else stats.counter(METRIC.streamFeedSkipped).add();
      }
      options.publish(events);
    },
    onError: (error) => log.warn({ err: error }, "stream feed: Kafka error"),
  });
  return {
    start: async () => {
      await tail.start();
      log.info({ topics: options.topics, partitions: tail.assigned() }, "stream feed started");
    },
    stop: () => tail.stop(),
  };
}
