import { expect, test } from "bun:test";
import { loadConsumerConfig } from "./config.ts";

test("defaults work against the local stack", () => {
  const config = loadConsumerConfig({});
  expect(config.PORT).toBe(3003);
  expect(config.HOST).toBe("127.0.0.1");
  expect(config.CONSUMER_GROUP).toBe("market-consumer");
  expect(config.CASSANDRA_CONSISTENCY).toBe("LOCAL_QUORUM");
  expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
});

test("a bad variable fails start-up with its name and the reason", () => {
  const start = () =>
    loadConsumerConfig({ CASSANDRA_CONSISTENCY: "SOMETIMES", CONSUMER_MAX_BATCH: "-1" });
  expect(start).toThrow(/CASSANDRA_CONSISTENCY \("SOMETIMES"\): Invalid option/);
  expect(start).toThrow(/CONSUMER_MAX_BATCH \("-1"\): Too small/);
});
