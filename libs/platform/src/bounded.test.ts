import { describe, expect, test } from "bun:test";
import { boundedAll } from "./bounded.ts";

/** A task whose promise the test settles by hand, in any order. */
function manual() {
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: unknown) => void }>();
  const started: number[] = [];
  let inFlight = 0;
  let peak = 0;
  const task = (item: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(item);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      const done = () => {
        inFlight -= 1;
      };
      pending.set(item, {
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  return { task, pending, started, peak: () => peak, inFlight: () => inFlight };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("boundedAll", () => {
  test("results come back in input order whatever order the tasks finish in", async () => {
    const m = manual();
    const all = boundedAll([0, 1, 2, 3, 4], 2, m.task);
    for (const item of [1, 0, 3, 2, 4]) {
      while (!m.pending.has(item)) await turn();
      m.pending.get(item)?.resolve(`r${item}`);
    }
    expect(await all).toEqual(["r0", "r1", "r2", "r3", "r4"]);
  });

  test("at most `limit` tasks are in flight, and every item runs once", async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    await boundedAll(items, 4, async (item) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      seen.push(item);
      await Bun.sleep(item % 3);
      inFlight -= 1;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(items);
  });

  test("after the first failure no task starts; it rejects with that failure once the started ones settled", async () => {
    const m = manual();
    let settled = false;
    const all = boundedAll([0, 1, 2, 3, 4, 5], 3, m.task).finally(() => {
      settled = true;
    });
    while (m.started.length < 3) await turn();
    const first = new Error("partition 1 timed out");
    m.pending.get(1)?.reject(first);
    await turn();
    m.pending.get(0)?.reject(new Error("a later failure"));
    await turn();
    // Item 2 is still in flight: the call has not answered yet.
    expect(settled).toBe(false);
    m.pending.get(2)?.resolve("r2");
    await expect(all).rejects.toBe(first);
    expect(m.started).toEqual([0, 1, 2]);
    expect(m.inFlight()).toBe(0);
  });

  test("no items: resolves with none, without calling the task", async () => {
    let calls = 0;
    expect(
      await boundedAll([], 8, async () => {
        calls += 1;
      }),
    ).toEqual([]);
    expect(calls).toBe(0);
  });

  test("a limit below one still runs every item, one at a time", async () => {
    const m = manual();
    const all = boundedAll([0, 1], 0, m.task);
    while (!m.pending.has(0)) await turn();
    m.pending.get(0)?.resolve("r0");
    while (!m.pending.has(1)) await turn();
    m.pending.get(1)?.resolve("r1");
    expect(await all).toEqual(["r0", "r1"]);
    expect(m.peak()).toBe(1);
  });
});
