import { afterAll, beforeAll, expect, test } from "bun:test";
import { barsFromStoredTicks, type RunningService, storedBars } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

/**
 * Scaling out: a second replica joins the group while the first is consuming. The cooperative-sticky
 * assignor splits the partitions between them, and the handover replays nothing into duplicates:
 * every tick is exactly one row and the bars still equal their ticks.
 */
let s: Scenario;
const replicas: RunningService[] = [];
const ticks = makeTicks(12, 800);

beforeAll(async () => {
  s = await scenario("cons_scale");
});
afterAll(async () => {
  for (const replica of replicas) await replica.stop().catch(() => {});
  await s?.close();
}, 60_000);

test("two replicas in one group share the partitions and store every tick exactly once", async () => {
  await s.produce(ticks);
  replicas.push(await s.start({ CONSUMER_MAX_BATCH: "200" }));
  await waitFor(
    "the first replica consuming",
    async () =>
      (await stats(replicas[0] as RunningService)).records.written > 0 ? true : undefined,
    60_000,
    replicas,
  );
  replicas.push(await s.start({ CONSUMER_MAX_BATCH: "200" }));

  const owned = await waitFor(
    "both replicas own partitions and the group has no lag",
    async () => {
      const all = await Promise.all(replicas.map(stats));
      const partitions = all.map((one) => Object.keys(one.lag.byPartition));
      const written = all.reduce((sum, one) => sum + one.records.written, 0);
      // Each replica's /stats lag is refreshed every few seconds, so right after a rebalance one may
      // still list a partition it just handed over: wait for a view where the split is disjoint.
      const flat = partitions.flat();
      const done =
        partitions.every((p) => p.length > 0) &&
        new Set(flat).size === flat.length &&
        flat.length === 6 &&
        all.every((one) => one.lag.total === 0) &&
        written >= ticks.length;
      return done ? partitions : undefined;
    },
    120_000,
    replicas,
  );
  expect(new Set(owned.flat()).size).toBe(owned.flat().length);
  expect(owned.flat().sort()).toEqual(["0", "1", "2", "3", "4", "5"]);

  const identities = await s.storedIdentities();
  expect(identities.length).toBe(ticks.length);
  expect(new Set(identities).size).toBe(ticks.length);
  expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
}, 240_000);
