import { expect, test } from "bun:test";
import { createReadinessWatch, readinessOf } from "./readiness.ts";

test("not ready before the first round, then ready only while every probe and check is ok", async () => {
  let kafka = true;
  let failing: string | undefined;
  const health = createReadinessWatch({
    probes: {
      kafka: async () => kafka,
      registry: async () => ({ ok: true, detail: "reachable" }),
    },
    failingStep: () => failing,
  });
  expect(health.readiness()).toEqual({
    ready: false,
    checks: {
      kafka: { ok: false, detail: "not checked yet" },
      registry: { ok: false, detail: "not checked yet" },
      pipeline: { ok: true },
    },
  });
  expect(await health.round()).toEqual({
    ready: true,
    checks: {
      kafka: { ok: true },
      registry: { ok: true, detail: "reachable" },
      pipeline: { ok: true },
    },
  });
  kafka = false;
  failing = "writeTicks";
  await health.round();
  expect(health.readiness()).toMatchObject({
    ready: false,
    checks: { kafka: { ok: false }, pipeline: { ok: false, detail: "retrying writeTicks" } },
  });
  expect(health.healthy("kafka")).toBe(false);
  expect(health.healthy("registry")).toBe(true);
});

test("a probe that throws is not ok; one that hangs is not ok once the timeout passed", async () => {
  const health = createReadinessWatch({
    probes: {
      cassandra: async () => {
        throw new Error("ECONNREFUSED");
      },
      registry: () => new Promise<boolean>(() => {}),
    },
    timeoutMs: 50,
  });
  expect((await health.round()).checks).toEqual({
    cassandra: { ok: false },
    registry: { ok: false, detail: "no answer within 50 ms" },
  });
});

test("started, it probes in the background and refreshes after each round until stopped", async () => {
  let answering = false;
  let refreshed = 0;
  const health = createReadinessWatch({
    probes: { cassandra: async () => answering },
    refresh: async () => {
      refreshed += 1;
    },
    intervalMs: 5,
  });
  health.start();
  answering = true;
  while (!health.readiness().ready) await Bun.sleep(5);
  await health.stop();
  const rounds = refreshed;
  expect(rounds).toBeGreaterThan(0);
  answering = false;
  await Bun.sleep(30);
  expect(refreshed).toBe(rounds);
  expect(health.readiness().ready).toBe(true);
});

test("readinessOf is ready when every check is ok, including when there is none", () => {
  expect(readinessOf({}).ready).toBe(true);
  expect(readinessOf({ a: { ok: true }, b: { ok: false, detail: "down" } }).ready).toBe(false);
});
