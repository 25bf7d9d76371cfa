import { expect, test } from "bun:test";
import { createReadiness } from "./readiness.ts";

test("not ready until Cassandra answers; ready while it does; not ready again once it stops", async () => {
  let answering = false;
  const health = createReadiness({
    ping: async () => {
      if (!answering) throw new Error("connection refused");
      return true;
    },
    intervalMs: 5,
  });
  expect(health.readiness()).toEqual({
    ready: false,
    checks: { cassandra: { ok: false, detail: "not checked yet" } },
  });
  health.start();
  answering = true;
  while (!health.healthy("cassandra")) await Bun.sleep(5);
  expect(health.readiness()).toEqual({ ready: true, checks: { cassandra: { ok: true } } });
  answering = false;
  while (health.healthy("cassandra")) await Bun.sleep(5);
  expect(health.readiness()).toEqual({ ready: false, checks: { cassandra: { ok: false } } });
  await health.stop();
});

test("a ping that answers false is named", async () => {
  const health = createReadiness({ ping: async () => false });
  expect((await health.round()).checks.cassandra).toEqual({
    ok: false,
    detail: "Cassandra did not answer",
  });
});
