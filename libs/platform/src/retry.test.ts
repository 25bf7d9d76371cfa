import { describe, expect, test } from "bun:test";
import { getEventListeners } from "node:events";
import { HttpStatusError, PipelineError } from "./errors.ts";
import { sleep, withRetry } from "./retry.ts";

describe("withRetry", () => {
  test("an error that is not retriable is thrown after one attempt, without a retry reported", async () => {
    let attempts = 0;
    const retried: unknown[] = [];
    const refusal = new HttpStatusError("HTTP 404", { status: 404 });
    const run = withRetry(
      async () => {
        attempts += 1;
        throw refusal;
      },
      { retries: 5, minDelayMs: 1, onRetry: (error) => void retried.push(error) },
    );
    await expect(run).rejects.toBe(refusal);
    expect(attempts).toBe(1);
    expect(retried).toEqual([]);
  });

  test("retriable errors are retried, each retry reported, the last failure is not", async () => {
    let attempts = 0;
    const retried: number[] = [];
    const run = withRetry(
      async () => {
        attempts += 1;
        throw new PipelineError("connection lost", { retriable: true });
      },
      {
        retries: 2,
        minDelayMs: 1,
        maxDelayMs: 2,
        onRetry: (_, attempt) => void retried.push(attempt),
      },
    );
    await expect(run).rejects.toThrow("connection lost");
    expect(attempts).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  test("a server's retryAfterMs is waited before the next attempt", async () => {
    const times: number[] = [];
    const value = await withRetry(
      async () => {
        times.push(performance.now());
        if (times.length === 1)
          throw new HttpStatusError("HTTP 429", { status: 429, retryAfterMs: 300 });
        return "ok";
      },
      { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    );
    expect(value).toBe("ok");
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(290);
  });
});

describe("sleep", () => {
  test("a thousand sleeps on one long-lived signal leave no abort listener behind", async () => {
    const stopping = new AbortController();
    for (let round = 0; round < 10; round += 1)
      await Promise.all(Array.from({ length: 100 }, () => sleep(1, stopping.signal)));
    expect(getEventListeners(stopping.signal, "abort")).toHaveLength(0);
  });

  test("aborting wakes every sleeper at once and leaves no listener", async () => {
    const stopping = new AbortController();
    const sleepers = Promise.all(Array.from({ length: 10 }, () => sleep(60_000, stopping.signal)));
    expect(getEventListeners(stopping.signal, "abort")).toHaveLength(10);
    stopping.abort();
    await sleepers;
    expect(getEventListeners(stopping.signal, "abort")).toHaveLength(0);
  });

  test("an already aborted signal returns at once without registering a listener", async () => {
    const signal = AbortSignal.abort();
    await sleep(60_000, signal);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});
