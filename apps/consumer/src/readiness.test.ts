import { expect, test } from "bun:test";
import { createReadiness } from "./readiness.ts";

test("ready only while Kafka, Cassandra and the registry answer and no step is retrying; the failing check is named", async () => {
  let cassandraUp = true;
  let failing: string | undefined;
  let refreshed = 0;
  const health = createReadiness({
    consumer: { ping: async () => true },
    store: { ping: async () => cassandraUp },
    registry: {
      ping: async () => {
        throw new Error("ECONNREFUSED");
      },
    },
    failingStep: () => failing,
    refresh: async () => {
      refreshed += 1;
    },
  });
  expect(health.readiness().ready).toBe(false);
  expect(await health.round()).toEqual({
    ready: false,
    checks: {
      kafka: { ok: true },
      cassandra: { ok: true },
      registry: { ok: false },
      pipeline: { ok: true },
    },
  });
  cassandraUp = false;
  failing = "writeTicks";
  await health.round();
  expect(health.readiness().checks).toMatchObject({
    cassandra: { ok: false },
    pipeline: { ok: false, detail: "retrying writeTicks" },
  });
  expect(health.healthy("cassandra")).toBe(false);
  expect(refreshed).toBe(2);
});
