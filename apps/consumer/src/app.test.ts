import { expect, test } from "bun:test";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { createConsumerApp } from "./app.ts";

test("/stats has the documented shape and /readyz is 503 while a dependency is down", async () => {
  const stats = createStats();
  stats.counter("records.consumed").add(5);
  stats.counter("records.written").add(4);
  stats.counter("records.deadLettered").add(1);
  stats.counter("deadLettered.invalid_value").add(1);
  stats.latency("batchMs").record(12);
  const app = createConsumerApp({
    log: createLogger("consumer-test", "fatal"),
    view: {
      stats,
      lag: () => [
        { topic: "market.ticks", partition: 0, committed: 3, highWatermark: 5, lag: 2 },
        { topic: "market.ticks", partition: 1, committed: 7, highWatermark: 7, lag: 0 },
      ],
      lagReadAt: () => 1_795_617_000_000,
      cassandraConnected: () => false,
    },
    readiness: () => ({ ready: false, checks: { cassandra: { ok: false } } }),
  });
  const body = await (await app.request("/stats")).json();
  expect(body).toEqual({
    service: "consumer",
    uptimeSeconds: expect.any(Number),
    records: { consumed: 5, written: 4, deadLettered: 1 },
    deadLettered: { invalid_value: 1 },
    deadLetters: { truncated: 0, skipped: 0 },
    bars: { written: 0, lateTicks: 0, refused: 0, rebuilt: 0 },
    latest: { written: 0, superseded: 0 },
    lag: { total: 2, byPartition: { "0": 2, "1": 0 }, readAt: 1_795_617_000_000 },
    commits: { resent: 0 },
    batches: { count: 1, p50Ms: 12, p99Ms: 12 },
    latency: {
      endToEndMs: { p50: null, p99: null },
      eventToStoreMs: { p50: null, p99: null },
    },
    cassandra: { connected: false },
  });
  const ready = await app.request("/readyz");
  expect(ready.status).toBe(503);
  const readiness = (await ready.json()) as { checks: { cassandra: { ok: boolean } } };
  expect(readiness.checks.cassandra.ok).toBe(false);
});
