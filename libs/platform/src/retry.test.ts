import { describe, expect, test } from "bun:test";
import { getEventListeners } from "node:events";
import { sleep } from "./retry.ts";

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
