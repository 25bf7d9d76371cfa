/**
 * A hot minute: 20,000 trades of one symbol in one minute, the consumer killed halfway, then the
 * rest and a full replay of all 20,000. The incremental bar must end exactly equal to the bar
 * recomputed from the stored ticks, and every tick must be exactly one row.
 */
import { afterAll, expect, test } from "bun:test";
import { type Tick, tickIdentity } from "@repo/contracts";
import { barsFromStoredTicks, sampleTick, storedBars } from "@repo/testkit";
import { type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

const TRADES = 20_000;

function hotMinute(): Tick[] {
  const start = (Math.floor(Date.now() / 60_000) - 30) * 60_000_000;
  return Array.from({ length: TRADES }, (_, i) =>
    sampleTick({
      source: "hot",
      symbol: "HOT",
      eventTime: start + Math.floor((i * 59_999_999) / TRADES),
      sequence: i,
      price: (250 + ((i * 7919) % 2000) / 1000).toFixed(3),
      size: 1 + ((i * 31) % 900),
      exchange: null,
      ingestTime: start + 60_000_000,
    }),
  );
}

test("20,000 trades of one symbol in one minute, a crash halfway and a full replay: one row per tick, the bar equals its ticks", async () => {
  s = await scenario("cons_hot");
  const ticks = hotMinute();
  await s.produce(ticks.slice(0, TRADES / 2));
  // A short session: the killed member's partitions go to its successor in seconds, not 45 s.
  let consumer = await s.start({ CONSUMER_MAX_BATCH: "500", CONSUMER_SESSION_TIMEOUT_MS: "6000" });
  try {
    await waitFor(
      "some of the first half written",
      async () => ((await stats(consumer)).records.written >= 2_000 ? true : undefined),
      60_000,
      consumer,
    );
    await consumer.kill();
    await s.produce(ticks.slice(TRADES / 2));
    await s.produce(ticks);
    consumer = await s.start();
    await waitFor(
      "the rest and the replay written, lag 0",
      async () => {
        const now = await stats(consumer);
        // lag.total sums the partitions this member owns: 0 also before it has joined.
        const assigned = Object.keys(now.lag.byPartition).length > 0;
        return assigned && now.lag.total === 0 && (await (s as Scenario).tickCount()) === TRADES
          ? now
          : undefined;
      },
      120_000,
      consumer,
    );
    const stored = await s.storedIdentities();
    expect(stored.length).toBe(TRADES);
    expect(new Set(stored)).toEqual(new Set(ticks.map(tickIdentity)));
    const bars = await storedBars(s.db);
    expect(bars).toEqual(await barsFromStoredTicks(s.db));
    expect([...bars.values()].map((bar) => bar[6])).toEqual([String(TRADES)]);
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 240_000);
