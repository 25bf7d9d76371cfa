/**
 * A table whose columns no longer match the consumer's INSERT (a renamed key column, a migration
 * not applied) refuses every row alike: that is an outage of the store, not bad data. The consumer
 * pauses and reports it; nothing is dead-lettered or committed; it resumes once the schema is back.
 */
import { afterAll, expect, test } from "bun:test";
import { barsFromStoredTicks, storedBars } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

test("while ticks.sequence is renamed the consumer pauses (naming the missing column) with not-ready and dead-letters nothing; renamed back, every tick is stored once, lag reaches 0 and bars equal their ticks", async () => {
  s = await scenario("cons_drift");
  const ticks = makeTicks(2, 40);
  // Renamed before the consumer prepares its INSERT: Cassandra refuses the statement itself
  // (InvalidRequest: undefined column), which looks like a refusal of each row's data.
  await s.db.execute("ALTER TABLE ticks RENAME sequence TO seq");
  const consumer = await s.start();
  try {
    await s.produce(ticks);
    const paused = await waitFor(
      "/readyz reports the retried tick write",
      async () => {
        const response = await fetch(`${consumer.url}/readyz`);
        const body = (await response.json()) as { checks: { pipeline?: { detail?: string } } };
        return response.status === 503 && body.checks.pipeline?.detail?.includes("writeTicks")
          ? body
          : undefined;
      },
      60_000,
      consumer,
    );
    expect(paused.checks.pipeline?.detail).toBe("retrying writeTicks");
    const during = await stats(consumer);
    expect(during.records).toMatchObject({ written: 0, deadLettered: 0 });
    // The warning reaches us through the child's stdout pipe, possibly after /readyz answered.
    await waitFor(
      "the consumer's log names the missing column",
      async () => (consumer.output().includes("has no column sequence") ? true : undefined),
      30_000,
      consumer,
    );

    await s.db.execute("ALTER TABLE ticks RENAME seq TO sequence");
    const final = await waitFor(
      "every tick written and lag 0",
      async () => {
        const now = await stats(consumer);
        return now.records.written === ticks.length && now.lag.total === 0 ? now : undefined;
      },
      90_000,
      consumer,
    );
    expect(final.records.deadLettered).toBe(0);
    expect(await s.tickCount()).toBe(ticks.length);
    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
  } finally {
    await consumer.stop().catch(() => {});
  }
}, 240_000);
