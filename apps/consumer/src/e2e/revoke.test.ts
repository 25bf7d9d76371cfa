/**
 * A partition revoked while its batches are still being written, then handed back: the first
 * member must not keep (or write) the aggregate its in-flight batch built, or that stale aggregate,
 * missing the trades the other member stored meanwhile, would later write a bar with more trades
 * than the correct one and replace it.
 */
import { afterAll, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import {
  barsFromStoredTicks,
  freePort,
  type Relay,
  type RunningService,
  stackEnv,
  startRelay,
  storedBars,
} from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

let s: Scenario | undefined;
let relay: Relay | undefined;
const members: RunningService[] = [];
afterAll(async () => {
  for (const member of members) await member.stop().catch(() => {});
  await relay?.close();
  await s?.close();
}, 60_000);

/** Ticks of every symbol in one minute, parts taking turns through it (sequence keeps them apart). */
function part(ticks: Tick[], index: number, parts: number) {
  return ticks.filter((_, i) => Math.floor(i / 12) % parts === index);
}

test("a partition revoked during in-flight batches and handed back ends with bars equal to their ticks and no lag", async () => {
  s = await scenario("cons_revoke");
  // 12 symbols × 200 trades within one minute (250 ms apart would span 50 s: one minute each).
  const ticks = makeTicks(12, 200).map((t) => ({
    ...t,
    kind: "TRADE" as const,
    bid: null,
    ask: null,
    bidSize: null,
    askSize: null,
    size: t.size || 1,
  }));
  const [first, second, third] = [0, 1, 2].map((i) => part(ticks, i, 3)) as [
    Tick[],
    Tick[],
    Tick[],
  ];

  // The first member writes through a relay that holds every Cassandra answer 150 ms: its
  // batches stay in flight for seconds, so the rebalance lands in the middle of them.
  const relayPort = await freePort();
  const cassandraPort = Number(stackEnv.CASSANDRA_CONTACT_POINTS.split(",")[0]?.split(":")[1]);
  relay = await startRelay(relayPort, cassandraPort, { answerDelayMs: 150 });
  const slow = await s.start({
    CASSANDRA_CONTACT_POINTS: `127.0.0.1:${relayPort}`,
    CONSUMER_MAX_BATCH: "20",
    CONSUMER_MAX_IN_FLIGHT_BATCHES: "4",
    CONSUMER_SESSION_TIMEOUT_MS: "6000",
  });
  members.push(slow);
  await s.produce(first);
  await waitFor(
    "the slow member writing its first batches",
    async () => ((await stats(slow)).records.written > 0 ? true : undefined),
    60_000,
    slow,
  );

  // A second member joins: the cooperative assignor moves half the partitions to it while the
  // slow member's batches of them are still in flight. It stores the second part.
  const fast = await s.start({ CONSUMER_SESSION_TIMEOUT_MS: "6000" });
  members.push(fast);
  await waitFor(
    "the second member owning partitions",
    async () => (Object.keys((await stats(fast)).lag.byPartition).length > 0 ? true : undefined),
    60_000,
    [slow, fast],
  );
  await s.produce(second);
  await waitFor(
    "the first two parts stored",
    async () => ((await s?.tickCount()) === first.length + second.length ? true : undefined),
    120_000,
    [slow, fast],
  );

  // The second member leaves: its partitions go back to the slow one, which stores the third part.
  await fast.stop();
  await s.produce(third);
  const final = await waitFor(
    "every tick stored and no lag",
    async () => {
      const now = await stats(slow);
      const count = await s?.tickCount();
      return count === ticks.length && now.lag.total === 0 && now.records.deadLettered === 0
        ? now
        : undefined;
    },
    180_000,
    slow,
  );
  expect(Object.keys(final.lag.byPartition).sort()).toEqual(["0", "1", "2", "3", "4", "5"]);
  expect(await s.tickCount()).toBe(ticks.length);
  expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
}, 420_000);
