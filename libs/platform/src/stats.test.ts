import { expect, test } from "bun:test";
import { createStats, quantiles } from "./stats.ts";

test("counters add up and are listed by prefix", () => {
  const stats = createStats();
  stats.counter("records.accepted").add(3);
  stats.counter("records.accepted").add();
  stats.counter("records.rejected").add(2);
  stats.counter("polls").add();
  expect(stats.counters("records.")).toEqual({ accepted: 4, rejected: 2 });
});

test("latency quantiles come from the recorded samples", () => {
  const stats = createStats();
  const latency = stats.latency("delivery");
  expect(latency.summary()).toEqual({ count: 0, p50: null, p99: null });
  for (let ms = 1; ms <= 100; ms++) latency.record(ms);
  expect(latency.summary()).toEqual({ count: 100, p50: 50, p99: 99 });
});

test("the latency window keeps only the most recent samples", () => {
  const latency = createStats().latency("batch", 10);
  for (let i = 0; i < 10; i++) latency.record(1000);
  for (let i = 0; i < 10; i++) latency.record(5);
  expect(latency.summary()).toEqual({ count: 20, p50: 5, p99: 5 });
});

test("uptime is measured from creation", () => {
  let now = 1_000_000;
  const stats = createStats(() => now);
  now += 61_400;
  expect(stats.uptimeSeconds()).toBe(61);
});

test("quantiles shows a latency's median and 99th percentile, null before any sample", () => {
  const stats = createStats();
  expect(quantiles(stats.latency("requestLatencyMs").summary())).toEqual({ p50: null, p99: null });
  for (let ms = 1; ms <= 100; ms += 1) stats.latency("requestLatencyMs").record(ms);
  expect(quantiles(stats.latency("requestLatencyMs").summary())).toEqual({ p50: 50, p99: 99 });
});
