import { afterAll, beforeAll, expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { barsFromStoredTicks, brokers, canonical, readTopic, storedBars } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario;
const ticks = makeTicks(20, 1000);

beforeAll(async () => {
  s = await scenario("cons_bulk");
});
afterAll(async () => {
  await s?.close();
}, 60_000);

test("20,000 ticks over 20 symbols become exactly 20,000 rows, bars equal their ticks, latest quotes hold each symbol's last tick", async () => {
  await s.produce(ticks);
  const started = performance.now();
  const consumer = await s.start();
  try {
    await waitFor(
      "all 20,000 ticks written and lag 0",
      async () => {
        const now = await stats(consumer);
        return now.records.written >= 20_000 && now.lag.total === 0 ? now : undefined;
      },
      90_000,
      consumer,
    );
    const seconds = (performance.now() - started) / 1000;
    const { batches, latest: quotes } = await stats(consumer);
    console.log(
      `throughput: 20,000 ticks from a full topic into Cassandra in ${seconds.toFixed(1)} s including start-up and group join → ${Math.round(20_000 / seconds)} rows/s; batches p50 ${batches.p50Ms} ms, p99 ${batches.p99Ms} ms over ${batches.count}; latest quotes written ${quotes.written}, left to a later batch ${quotes.superseded}`,
    );
    expect(await s.tickCount()).toBe(20_000);

    const expected = await barsFromStoredTicks(s.db);
    const stored = await storedBars(s.db);
    expect(stored.size).toBeGreaterThan(0);
    expect(stored).toEqual(expected);

    const latest = await s.db.execute(
      "SELECT symbol, event_time_us, sequence, price, kind FROM latest_quotes",
    );
    expect(latest.rowLength).toBe(20);
    for (const row of latest.rows) {
      const last = ticks.filter((t) => t.symbol === row.get("symbol")).at(-1);
      expect(Number(row.get("event_time_us"))).toBe(last?.eventTime as number);
      expect(canonical(row.get("price"))).toBe(
        last?.price.replace(/0+$/, "").replace(/\.$/, "") as string,
      );
    }

    const barMessages = await readTopic(s.topic.bars, { timeoutMs: 20_000 });
    const onTopic = new Map<string, string[]>();
    for (const message of barMessages) {
      const bar = await s.registry.decode(message.value as Buffer);
      onTopic.set(`${bar.symbol}|${bar.start / 1000}`, [
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        String(bar.volume),
        bar.vwap,
        String(bar.trades),
      ]);
    }
    expect(onTopic).toEqual(stored);
    const final = await stats(consumer);
    expect(final.records).toEqual({ consumed: 20_000, written: 20_000, deadLettered: 0 });
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 150_000);

test("resetting the group to the earliest offset and consuming again leaves 20,000 rows and the bars unchanged", async () => {
  const before = await storedBars(s.db);
  const admin = new Admin({ clientId: "e2e-reset", bootstrapBrokers: brokers });
  try {
    await admin.alterConsumerGroupOffsets({
      groupId: s.group,
      topics: [
        {
          name: s.topic.ticks,
          partitionOffsets: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, offset: 0n })),
        },
      ],
    });
  } finally {
    await admin.close();
  }
  const consumer = await s.start();
  try {
    await waitFor(
      "replayed 20,000 records",
      async () => {
        const now = await stats(consumer);
        return now.records.written >= 20_000 && now.lag.total === 0 ? now : undefined;
      },
      90_000,
      consumer,
    );
    expect(await s.tickCount()).toBe(20_000);
    expect(await storedBars(s.db)).toEqual(before);
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 120_000);
