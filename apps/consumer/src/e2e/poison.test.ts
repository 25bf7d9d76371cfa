/**
 * Records another client wrote straight to the topic (bypassing the producer's checks) must never
 * stall, freeze or corrupt the consumer: they are dead-lettered with their reason, and ticks behind
 * them are stored.
 */
import { afterAll, expect, test } from "bun:test";
import { dlqHeaders, type Tick } from "@repo/contracts";
import { barsFromStoredTicks, readTopic, storedBars } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

test("two trades whose minute volume overflows a long and a tick dated 2250 are dead-lettered; ticks after them are stored, lag reaches 0, latest quote and bars are untouched", async () => {
  s = await scenario("cons_poison");
  const good = makeTicks(2, 60);
  const first = good[0] as Tick;
  const overflowing: Tick[] = [1, 2].map((n) => ({
    ...first,
    sequence: 1_000_000 + n,
    size: 9_007_199_254_740_990,
  }));
  const fromTheFuture: Tick = {
    ...first,
    sequence: 2_000_000,
    eventTime: Date.parse("2250-01-01T00:00:00Z") * 1000,
  };
  const consumer = await s.start();
  try {
    await s.produce(good.slice(0, 40));
    await s.produce([...overflowing, fromTheFuture]);
    await s.produce(good.slice(40));
    const total = good.length + 3;
    const final = await waitFor(
      `${total} records handled and lag 0`,
      async () => {
        const now = await stats(consumer);
        const handled = now.records.written + now.records.deadLettered;
        return handled >= total && now.lag.total === 0 ? now : undefined;
      },
      60_000,
      consumer,
    );
    expect(final.records).toEqual({ consumed: total, written: good.length, deadLettered: 3 });
    expect((final as unknown as { deadLettered: Record<string, number> }).deadLettered).toEqual({
      invalid_value: 3,
    });
    expect(await s.tickCount()).toBe(good.length);

    const letters = await readTopic(s.topic.deadLetter, { untilCount: 3, timeoutMs: 20_000 });
    const reasons = letters.map((l) => l.headers[dlqHeaders.reason] ?? "").sort();
    expect(reasons).toEqual([
      "invalid_value: eventTime: must not be later than now + 60 s (clock skew allowance)",
      "invalid_value: size: must be at most 1,000,000,000 shares",
      "invalid_value: size: must be at most 1,000,000,000 shares",
    ]);

    const newest = good.filter((t) => t.symbol === first.symbol).at(-1) as Tick;
    const latest = await s.db.execute(
      "SELECT event_time_us FROM latest_quotes WHERE symbol = ?",
      [first.symbol],
      { prepare: true },
    );
    expect(Number(latest.first()?.get("event_time_us"))).toBe(newest.eventTime);
    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
  } finally {
    await consumer.stop().catch(() => {}); // leaves the group, so close() can delete it
  }
}, 120_000);
