import { expect, test } from "bun:test";
import { cpuSecondsOf, quantile, rssOf } from "./proc.ts";

test("this process's CPU seconds grow with work and its RSS is read in MB", () => {
  const before = cpuSecondsOf(process.pid);
  const until = performance.now() + 120;
  let spin = 0;
  while (performance.now() < until) spin += Math.sqrt(spin + 1);
  expect(cpuSecondsOf(process.pid)).toBeGreaterThan(before);
  const { rssMb, peakMb } = rssOf(process.pid);
  expect(rssMb).toBeGreaterThan(1);
  expect(peakMb).toBeGreaterThanOrEqual(rssMb);
});

test("a process that is gone has no CPU figure", () => {
  expect(cpuSecondsOf(2 ** 22 + 1)).toBeNaN();
});

test("quantile is the nearest rank at or above q", () => {
  expect(quantile([1, 2, 3, 4], 0.5)).toBe(3);
  expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
  expect(quantile([], 0.5)).toBeNaN();
});
