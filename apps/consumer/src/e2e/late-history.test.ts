/**
 * History that arrives after its minutes closed (a backfill, a recovered stream gap): the ticks are
 * stored and their minutes' bars are rebuilt from the stored ticks, so every bar equals its ticks.
 */
import { afterAll, expect, test } from "bun:test";
import { barsFromStoredTicks, storedBars } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

test("trades of minutes that already closed still update their bars: every bar equals its stored ticks", async () => {
  s = await scenario("cons_late");
  const hour = 60 * 60_000_000;
  const base = (Math.floor(Date.now() / 60_000) - 180) * 60_000_000;
  const recent = makeTicks(3, 200, base + hour);
  const history = makeTicks(3, 200, base);
  const consumer = await s.start();
  try {
    await s.produce(recent);
    await waitFor(
      "the recent ticks written",
      async () => ((await stats(consumer)).records.written >= recent.length ? true : undefined),
      60_000,
      consumer,
    );
    await s.produce(history);
    const final = await waitFor(
      "the history written, lag 0",
      async () => {
        const now = await stats(consumer);
        const total = recent.length + history.length;
        return now.records.written >= total && now.lag.total === 0 ? now : undefined;
      },
      60_000,
      consumer,
    );
    expect(final.bars.lateTicks).toBeGreaterThan(0);
    expect(await s.tickCount()).toBe(recent.length + history.length);
    const bars = await storedBars(s.db);
    const expected = await barsFromStoredTicks(s.db);
    expect(bars.size).toBe(expected.size);
    expect(bars).toEqual(expected);
  } finally {
    await consumer.stop().catch(() => {}); // leaves the group, so close() can delete it
  }
}, 180_000);
