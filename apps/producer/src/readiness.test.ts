import { expect, test } from "bun:test";
import { createReadiness } from "./readiness.ts";

const probe = (kafka: boolean, registry: boolean, cached = 0) =>
  createReadiness({
    kafka: { ping: async () => kafka },
    registry: { reachable: async () => registry, cachedSchemaIds: () => cached },
  }).round();

test("ready only when Kafka and the registry both answer", async () => {
  expect((await probe(true, true)).ready).toBe(true);
  expect((await probe(false, true)).checks.kafka).toEqual({
    ok: false,
    detail: "no metadata answer",
  });
  expect((await probe(false, true)).ready).toBe(false);
});

test("a lost registry makes the producer not ready, saying it still produces from cached ids", async () => {
  const readiness = await probe(true, false, 2);
  expect(readiness.ready).toBe(false);
  expect(readiness.checks.registry).toEqual({
    ok: false,
    detail: "unreachable; still producing with 2 cached schema ids",
  });
});
