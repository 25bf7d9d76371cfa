import { expect, test } from "bun:test";
import { createHealthWatch } from "./readiness.ts";

test("ready only when every dependency answers and no step is retried", async () => {
  let registry = false;
  let failing: string | undefined = "writeIndicators";
  const health = createHealthWatch({
    probes: {
      kafka: async () => true,
      cassandra: async () => true,
      registry: async () => registry,
    },
    failingStep: () => failing,
  });
  await health.round();
  expect(health.readiness()).toEqual({
    ready: false,
    checks: {
      kafka: { ok: true },
      cassandra: { ok: true },
      registry: { ok: false },
      pipeline: { ok: false, detail: "retrying writeIndicators" },
    },
  });
  registry = true;
  failing = undefined;
  await health.round();
  expect(health.readiness().ready).toBe(true);
});
