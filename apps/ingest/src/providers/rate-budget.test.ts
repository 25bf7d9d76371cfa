import { expect, test } from "bun:test";
import { createRateBudget, resetWaitMs } from "./rate-budget.ts";

const NOW = 1_767_623_400_000;

test("X-Ratelimit-Reset is read as Unix seconds; absent, unreadable or past resets give nothing", () => {
  const headers = (reset: string) => new Headers({ "x-ratelimit-reset": reset });
  expect(resetWaitMs(headers(String(NOW / 1000 + 42)), NOW)).toBe(42_000);
  expect(resetWaitMs(headers(String(NOW / 1000 + 600)), NOW)).toBe(65_000); // one window at most
  expect(resetWaitMs(headers(String(NOW / 1000 - 1)), NOW)).toBeUndefined();
  expect(resetWaitMs(headers("soon"), NOW)).toBeUndefined();
  expect(resetWaitMs(new Headers(), NOW)).toBeUndefined();
});

test("a spent budget (429, or Remaining 0) pauses every caller until the reset; a healthy answer does not", () => {
  let now = NOW;
  const budget = createRateBudget({ perMinute: 200, now: () => now });
  const reset = String(NOW / 1000 + 30);
  expect(budget.observe(200, new Headers({ "x-ratelimit-remaining": "12" }))).toBeUndefined();
  expect(budget.view().pausedUntil).toBeNull();
  const wait = budget.observe(
    200,
    new Headers({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }),
  );
  expect(wait).toBe(30_000);
  expect(budget.view()).toMatchObject({
    throttled: 0,
    pausedUntil: new Date(NOW + 30_000).toISOString(),
  });
  expect(budget.observe(429, new Headers({ "x-ratelimit-reset": reset }))).toBe(30_000);
  expect(budget.view().throttled).toBe(1);
  now += 30_001;
  expect(budget.view().pausedUntil).toBeNull();
});
