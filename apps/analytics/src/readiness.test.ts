import { expect, test } from "bun:test";
import { createReadiness } from "./readiness.ts";

test("a retried step of the loop keeps analytics not ready, naming the step, until it succeeds", async () => {
  let failing: string | undefined = "writeIndicators";
  const health = createReadiness({
    probes: { kafka: async () => true, cassandra: async () => true, registry: async () => true },
    failingStep: () => failing,
  });
  expect((await health.round()).checks.pipeline).toEqual({
    ok: false,
    detail: "retrying writeIndicators",
  });
  failing = undefined;
  expect(health.readiness()).toEqual({
    ready: true,
    checks: {
      kafka: { ok: true },
      cassandra: { ok: true },
      registry: { ok: true },
      pipeline: { ok: true },
    },
  });
});
