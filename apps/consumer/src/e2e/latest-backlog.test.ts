/**
 * During a backlog a symbol's latest quote is left to the later in-flight batch that holds a newer
 * tick of it (`runner/latest.ts`): fewer rows, and `latest_quotes` still ends at each symbol's
 * newest tick.
 */
import { afterAll, expect, test } from "bun:test";
import { canonical } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

test("a backlog drained in small batches leaves latest quotes a later in-flight batch supersedes to that batch, and ends at each symbol's newest tick", async () => {
  s = await scenario("cons_latest");
  // 20 symbols interleaved: every 200-record batch holds ten ticks of each.
  const ticks = makeTicks(20, 500);
  await s.produce(ticks);
  const consumer = await s.start({ CONSUMER_MAX_BATCH: "200" });
  try {
    const done = await waitFor(
      "all 10,000 ticks written and lag 0",
      async () => {
        const now = await stats(consumer);
        return now.records.written >= ticks.length && now.lag.total === 0 ? now : undefined;
      },
      90_000,
      consumer,
    );
    const batches = ticks.length / 200;
    console.log(
      `latest quotes over ${batches} batches of 20 symbols: written ${done.latest.written}, left to a later batch ${done.latest.superseded}`,
    );
    // Every batch holds every symbol: with batches in flight behind it, a finished batch's newest
    // ticks are superseded (without the rule this is 0, and ≈ 50 % more rows are written).
    expect(done.latest.superseded).toBeGreaterThan(0);

    const rows = await s.db.execute(
      "SELECT symbol, event_time_us, sequence, kind, price FROM latest_quotes",
    );
    expect(rows.rowLength).toBe(20);
    for (const row of rows.rows) {
      const newest = ticks.filter((t) => t.symbol === row.get("symbol")).at(-1);
      if (!newest) throw new Error(`no tick of ${row.get("symbol")}`);
      expect(Number(row.get("event_time_us"))).toBe(newest.eventTime);
      expect(Number(row.get("sequence"))).toBe(newest.sequence);
      expect(row.get("kind")).toBe(newest.kind);
      expect(canonical(row.get("price"))).toBe(canonical(newest.price));
    }
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 150_000);
