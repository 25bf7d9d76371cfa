import { expect, test } from "bun:test";
import { createCassandraWatch } from "./readiness.ts";

test("not ready until Cassandra answers; ready while it does; not ready again once it stops", async () => {
  let answering = false;
  const stopping = new AbortController();
  const watch = createCassandraWatch({
    ping: async () => {
      if (!answering) throw new Error("connection refused");
      return true;
    },
    intervalMs: 5,
  });
  expect(watch.readiness()).toEqual({
    ready: false,
    checks: { cassandra: { ok: false, detail: "Cassandra did not answer" } },
  });
  const probing = watch.start(stopping.signal);
  answering = true;
  await Bun.sleep(30);
  expect(watch.readiness()).toEqual({ ready: true, checks: { cassandra: { ok: true } } });
  expect(watch.connected()).toBe(true);
  answering = false;
  await Bun.sleep(30);
  expect(watch.readiness().ready).toBe(false);
  stopping.abort();
  await probing;
});
