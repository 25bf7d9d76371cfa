import { describe, expect, test } from "bun:test";
import { createStats, quantiles, selectRank } from "./stats.ts";

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

describe("selectRank", () => {
  test("finds the value a sort puts at each rank, duplicates and all", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 300; round += 1) {
      const n = 1 + Math.floor(random() * 200);
      // Few distinct values in some rounds, so equal keys meet the pivot often.
      const distinct = round % 3 === 0 ? 3 : 1_000_000;
      const values = Float64Array.from({ length: n }, () => Math.floor(random() * distinct) / 7);
      const sorted = values.slice().sort();
      const k = Math.floor(random() * n);
      const work = values.slice();
      expect(selectRank(work, k, 0, n - 1)).toBe(sorted[k] as number);
      for (let i = 0; i < k; i += 1) expect(work[i]).toBeLessThanOrEqual(work[k] as number);
      for (let i = k; i < n; i += 1) expect(work[i]).toBeGreaterThanOrEqual(work[k] as number);
    }
  });
});

test("a busy window (more samples than it holds) selects its quantiles again at most every 500 ms; the count is always current", () => {
  let clock = 1_000_000;
  const latency = createStats(() => clock).latency("busy", 100);
  for (let i = 0; i < 200; i += 1) latency.record(5);
  expect(latency.summary()).toEqual({ count: 200, p50: 5, p99: 5 });
  for (let i = 0; i < 100; i += 1) latency.record(9);
  clock += 499;
  expect(latency.summary()).toEqual({ count: 300, p50: 5, p99: 5 });
  clock += 1;
  expect(latency.summary()).toEqual({ count: 300, p50: 9, p99: 9 });
});

test("a window not yet full gives exact quantiles at every read", () => {
  const latency = createStats(() => 0).latency("quiet", 100);
  for (let i = 0; i < 50; i += 1) latency.record(5);
  expect(latency.summary()).toEqual({ count: 50, p50: 5, p99: 5 });
  for (let i = 0; i < 50; i += 1) latency.record(9);
  expect(latency.summary()).toEqual({ count: 100, p50: 5, p99: 9 });
});
