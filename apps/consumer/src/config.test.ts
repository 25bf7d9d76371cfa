import { expect, test } from "bun:test";
import { loadConsumerConfig } from "./config.ts";

test("defaults work against the local stack", () => {
  const config = loadConsumerConfig({});
  expect(config.PORT).toBe(3003);
  expect(config.HOST).toBe("127.0.0.1");
  expect(config.CONSUMER_GROUP).toBe("market-consumer");
  expect(config.CASSANDRA_CONSISTENCY).toBe("LOCAL_QUORUM");
  expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
  // V8 collects once its heap doubles past the live size instead of up to quadrupling it.
  expect(config.CONSUMER_HEAP_GROWTH_PERCENT).toBe(100);
});

test("a bad variable fails start-up with its name and the reason", () => {
  const start = () =>
    loadConsumerConfig({
      CASSANDRA_CONSISTENCY: "SOMETIMES",
      CONSUMER_MAX_BATCH: "-1",
      CONSUMER_HEAP_GROWTH_PERCENT: "1.5",
    });
  expect(start).toThrow(/CASSANDRA_CONSISTENCY \("SOMETIMES"\): Invalid option/);
  expect(start).toThrow(/CONSUMER_MAX_BATCH \("-1"\): Too small/);
  expect(start).toThrow(/CONSUMER_HEAP_GROWTH_PERCENT \("1.5"\)/);
});
