import { describe, expect, test } from "bun:test";
import { ConfigError } from "@repo/platform/config";
import { loadProvisionConfig } from "./config.ts";

const sizeOf = (config: ReturnType<typeof loadProvisionConfig>, name: string) => {
  const topic = config.topics.find((candidate) => candidate.name === name);
  return topic && [topic.partitions, topic.replicationFactor, topic.config["min.insync.replicas"]];
};

describe("loadProvisionConfig", () => {
  test("with nothing set, the declared topics on the local stack: replication 1", () => {
    const config = loadProvisionConfig({});
    expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(config.SCHEMA_REGISTRY_URL).toBe("http://127.0.0.1:8081");
    expect(sizeOf(config, "market.ticks")).toEqual([6, 1, "1"]);
    expect(sizeOf(config, "market.ticks.dlq")).toEqual([3, 1, "1"]);
  });

  test("TOPIC_PARTITIONS_<TOPIC> and KAFKA_REPLICATION_FACTOR size the topics of a cluster", () => {
    const config = loadProvisionConfig({
      TOPIC_PARTITIONS_MARKET_TICKS: "24",
      KAFKA_REPLICATION_FACTOR: "3",
    });
    expect(sizeOf(config, "market.ticks")).toEqual([24, 3, "2"]);
    expect(sizeOf(config, "market.bars.1m")).toEqual([6, 3, "2"]);
  });

  test("a bad count is a ConfigError naming the variable and the value", () => {
    const load = () =>
      loadProvisionConfig({ TOPIC_PARTITIONS_MARKET_BARS_1M: "-1", KAFKA_REPLICATION_FACTOR: "x" });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/TOPIC_PARTITIONS_MARKET_BARS_1M \("-1"\)/);
    expect(load).toThrow(/KAFKA_REPLICATION_FACTOR \("x"\)/);
  });
});
