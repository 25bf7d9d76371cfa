import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ConfigError } from "@repo/platform/config";
import { loadStackConfig, repoRoot } from "./config.ts";

describe("loadStackConfig", () => {
  test("with nothing set: the local ports and heaps, data in the checkout's .stack", () => {
    const config = loadStackConfig({});
    expect(config.STACK_DIR).toBe(join(repoRoot, ".stack"));
    expect([
      config.STACK_KAFKA_PORT,
      config.STACK_CASSANDRA_PORT,
      config.STACK_REGISTRY_PORT,
    ]).toEqual([9092, 9042, 8081]);
    expect(config.STACK_KEEP).toBe(false);
    expect(config.STACK_TOPOLOGY).toBe("single");
    expect(config.KAFKA_BROKERS).toBeUndefined();
  });

  test("STACK_KEEP=1 keeps what a test run started; a relative STACK_DIR is made absolute", () => {
    const config = loadStackConfig({ STACK_KEEP: "1", STACK_DIR: "tmp/stack" });
    expect(config.STACK_KEEP).toBe(true);
    expect(config.STACK_DIR).toBe(join(process.cwd(), "tmp/stack"));
  });

  test("bad values are named with what they hold", () => {
    const load = () =>
      loadStackConfig({
        STACK_KAFKA_PORT: "70000",
        STACK_TOPOLOGY: "triple",
        STACK_CASSANDRA_HEAP: "2 GB",
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/STACK_KAFKA_PORT \("70000"\)/);
    expect(load).toThrow(/STACK_TOPOLOGY \("triple"\)/);
    expect(load).toThrow(/STACK_CASSANDRA_HEAP \("2 GB"\)/);
  });
});
