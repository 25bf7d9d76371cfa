import { describe, expect, test } from "bun:test";
import {
  ConfigError,
  cassandraEnv,
  flag,
  httpEnv,
  kafkaEnv,
  loadConfig,
  registryEnv,
} from "./config.ts";

describe("loadConfig", () => {
  test("defaults work against the local stack and bind loopback", () => {
    const config = loadConfig(
      { ...httpEnv(3002), ...kafkaEnv, ...registryEnv, ...cassandraEnv },
      {},
    );
    expect(config.HOST).toBe("127.0.0.1");
    expect(config.PORT).toBe(3002);
    expect(config.KAFKA_BROKERS).toEqual(["127.0.0.1:9092"]);
    expect(config.SCHEMA_REGISTRY_URL).toBe("http://127.0.0.1:8081");
    expect(config.CASSANDRA_KEYSPACE).toBe("market");
    expect(config.CASSANDRA_LOCAL_DC).toBe("datacenter1");
  });

  test("lists of brokers are split and trimmed", () => {
    const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: "a:9092, b:9092 ,c:9092" });
    expect(config.KAFKA_BROKERS).toEqual(["a:9092", "b:9092", "c:9092"]);
  });

  test("every invalid variable is named with its value and the reason", () => {
    const error = (() => {
      try {
        loadConfig(
          { ...httpEnv(3001), ...registryEnv },
          { PORT: "70000", SCHEMA_REGISTRY_URL: "not a url" },
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT ("70000")');
    expect(message).toContain('SCHEMA_REGISTRY_URL ("not a url")');
  });

  test("secret values are never echoed in errors", () => {
    const shape = { FINNHUB_API_KEY: cassandraEnv.CASSANDRA_KEYSPACE };
    expect(() => loadConfig(shape, { FINNHUB_API_KEY: "Sup3r-Secret!" })).toThrow("<redacted>");
    try {
      loadConfig(shape, { FINNHUB_API_KEY: "Sup3r-Secret!" });
    } catch (error) {
      expect((error as Error).message).not.toContain("Sup3r-Secret!");
    }
  });

  test("flags accept true/false/1/0/yes/no and reject anything else", () => {
    expect(loadConfig({ X: flag(false) }, { X: "yes" }).X).toBe(true);
    expect(loadConfig({ X: flag(true) }, { X: "0" }).X).toBe(false);
    expect(() => loadConfig({ X: flag(true) }, { X: "maybe" })).toThrow("X");
  });
});
