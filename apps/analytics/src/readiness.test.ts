import { expect, test } from "bun:test";
import { createReadiness } from "./readiness.ts";

test("a retried step of the loop keeps analytics not ready, naming the step, until it succeeds", async () => {
  let failing: string | undefined = "writeIndicators";
  let registryAnswers = false;
  const health = createReadiness({
    consumer: { ping: async () => true },
    store: { ping: async () => true },
    registry: { reachable: async () => registryAnswers },
    failingStep: () => failing,
  });
  expect(await health.round()).toMatchObject({
    ready: false,
    checks: {
      registry: { ok: false },
      pipeline: { ok: false, detail: "retrying writeIndicators" },
    },
  });
  failing = undefined;
  registryAnswers = true;
  expect(await health.round()).toEqual({
    ready: true,
    checks: {
      kafka: { ok: true },
      cassandra: { ok: true },
      registry: { ok: true },
      pipeline: { ok: true },
    },
  });
});
