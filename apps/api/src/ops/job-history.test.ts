import { describe, expect, test } from "bun:test";
import { createJobHistory, type Histogram, type JobSample, quantile } from "./job-history.ts";

const BOUNDS = [10, 25, 50, 100, 1000, 60_000];
const hist = (counts: number[]): Histogram => {
  let running = 0;
  const cumulative = counts.map((n) => (running += n));
  return { boundsMs: BOUNDS, cumulative, count: running };
};

describe("streaming job history", () => {
  test("quantiles interpolate inside the bucket like histogram_quantile", () => {
    expect(quantile(hist([0, 100, 0, 0, 0, 0]), 0.5)).toBe(17.5);
    expect(quantile(hist([0, 0, 0, 0, 0, 0]), 0.5)).toBeNull();
    expect(quantile(hist([99, 0, 0, 0, 0, 1]), 0.99)).toBe(10);
  });

  test("a start-up backlog is not steady and its latency does not leak into the later window", async () => {
    let t = 0;
    const readings: JobSample[] = [];
    // 0–60 s: backlog (lag, latencies near 60 s); then 120 s caught up with 10–25 ms latencies.
    let e2e = [0, 0, 0, 0, 0, 0];
    let written = 0;
    for (let i = 0; i <= 36; i++) {
      const backlog = i <= 12;
      if (backlog) e2e = e2e.map((n, k) => (k === 5 ? n + 500 : n));
      else e2e = e2e.map((n, k) => (k === 1 ? n + 50 : n));
      written += backlog ? 500 : 50;
      readings.push({
        at: i * 5_000,
        consumed: written,
        written,
        deadLettered: 0,
        lag: backlog ? 10_000 - i * 500 : 0,
        batches: hist([5, 0, 0, 0, 0, 0].map((n) => n * (i + 1))),
        endToEnd: hist(e2e),
      });
    }
    const job = createJobHistory({
      read: async () => readings[t++] ?? null,
      sampleMs: 5_000,
      windowMs: 60_000,
      now: () => 36 * 5_000,
    });
    for (let i = 0; i < readings.length; i++) await job.sample();
    const points = job.points();
    expect(points).toHaveLength(36);
    expect(points[0]).toMatchObject({ writtenPerSecond: 100, steady: false, lag: 9_500 });
    expect(points[0]?.endToEndP99Ms).toBeGreaterThan(1000);
    const last = points.at(-1);
    expect(last).toMatchObject({ writtenPerSecond: 10, steady: true, lag: 0 });
    expect(last?.endToEndP99Ms).toBeLessThanOrEqual(25);
    expect(last?.batchP50Ms).toBeLessThanOrEqual(10);
  });
});
