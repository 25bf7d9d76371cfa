import { expect, test } from "bun:test";
import type { Bar, Tick } from "@repo/contracts";
import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node";
import { DataError } from "@repo/platform/errors";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { sampleTick } from "@repo/testkit";
import { createLateness } from "../bars/lateness.ts";
import type { TickStore } from "../cassandra/store.ts";
import type { ConsumerTick, DecodedTick } from "../tick/decode.ts";
import { createRunner, type DeadLetter } from "./index.ts";

const minute = 1_795_617_000_000_000;
const tickAt = (offset: number): Tick =>
  sampleTick({
    source: "sim",
    eventTime: minute + offset,
    sequence: offset,
    price: "10.5",
    size: 2,
    exchange: null,
    ingestTime: minute,
  });

/**
 * A fake world: one poll of `records`, a store that fails `failures` times (transiently) and
 * refuses ticks of size `refuseSize` (for their data), an event log.
 */
function world(
  records: ConsumedRecord[],
  failures = 0,
  decodeTick = tickAt,
  refuseSize = -1,
  deadLetterTopicDown = false,
  storedBefore: Tick[] = [],
  commitSettleMs = 20,
) {
  const events: string[] = [];
  const stored: ConsumerTick[] = [...storedBefore];
  const reads = { minutes: 0, horizons: 0 };
  const stats = createStats();
  let remainingFailures = failures;
  let polled = false;
  let keepAlivePolls = 0;
  let polls = 0;
  const store: TickStore = {
    async writeTicks(ticks) {
      if (remainingFailures > 0) {
        remainingFailures -= 1;
        events.push("writeTicks failed");
        throw new Error("NoHostAvailable");
      }
      const refused = ticks.filter((t) => t.size === refuseSize);
      stored.push(...ticks.filter((t) => t.size !== refuseSize));
      events.push(`writeTicks ${ticks.length - refused.length}`);
      return refused.map((row) => ({
        row,
        error: new DataError("Key length too long", { code: "cassandra_refused" }),
      }));
    },
    async foldTrades({ start }, fold) {
      reads.minutes += 1;
      for (const t of stored) {
        if (t.eventTime >= start && t.eventTime < start + 60_000_000) fold({ ...t });
      }
    },
    async newestEventTime(symbol, micros) {
      reads.horizons += 1;
      const day = Math.floor(micros / 86_400_000_000);
      const times = stored
        .filter((t) => t.symbol === symbol && Math.floor(t.eventTime / 86_400_000_000) === day)
        .map((t) => t.eventTime);
      return times.length > 0 ? Math.max(...times) : Number.NEGATIVE_INFINITY;
    },
    async writeBars(bars) {
      events.push(`writeBars ${bars.length}`);
      return [];
    },
    async writeLatest(ticks) {
      events.push(`writeLatest ${ticks.map((t) => t.sequence).join(",")}`);
      return [];
    },
    ping: async () => true,
  };
  const runner = createRunner({
    consumer: {
      async poll() {
        polls += 1;
        if (polled) {
          if (remainingFailures > 0) keepAlivePolls += 1;
          await Bun.sleep(5);
          return [];
        }
        polled = true;
        return records;
      },
      commit(offsets: PartitionOffset[], options?: { wait?: boolean }) {
        const how = options?.wait === false ? "" : " (waited)";
        events.push(`commit ${offsets.map((o) => `${o.partition}@${o.offset}`).join(",")}${how}`);
        return offsets;
      },
      pauseAll: () => events.push("pause"),
      resumeAll: () => events.push("resume"),
    },
    decode: async (value): Promise<DecodedTick> =>
      value?.[0] === 0
        ? { ok: true, value: decodeTick(value[1] as number) }
        : { ok: false, reason: { code: "bad_magic_byte", stage: "decode", detail: "x" } },
    store,
    publishDeadLetters: async (letters: DeadLetter[]) => {
      if (deadLetterTopicDown && letters.length > 0) {
        events.push("deadLetter failed");
        throw new Error("Kafka did not acknowledge market.ticks.dlq: Local: Message timed out");
      }
      events.push(
        `deadLetter ${letters.map((l) => `${l.record.offset}:${l.reason.code}`).join(",")}`,
      );
    },
    publishBars: async (bars: Bar[]) => {
      events.push(`publishBars ${bars.map((b) => `${b.open}x${b.trades}`).join(",")}`);
      return [];
    },
    lateness: createLateness(60_000),
    stats,
    log: createLogger("consumer-test", "fatal"),
    maxBatch: 100,
    maxInFlightBatches: 3,
    maxConcurrency: 4,
    retryMaxDelayMs: 20,
    commitSettleMs,
  });
  /** Resolves once the loop polled `turns` more times: whatever it would send, it had the chance. */
  const loopTurns = async (turns: number) => {
    const target = polls + turns;
    for (let i = 0; i < 1000 && polls < target; i += 1) await Bun.sleep(2);
    if (polls < target) throw new Error(`the loop did not poll ${turns} more times`);
  };
  return {
    events,
    runner,
    stored,
    stats,
    reads,
    keepAlivePolls: () => keepAlivePolls,
    loopTurns,
  };
}

const record = (offset: number, value: number[]): ConsumedRecord => ({
  topic: "market.ticks",
  partition: 0,
  offset,
  key: null,
  value: Buffer.from(value),
  timestamp: 0,
});

/** Waits until `events` holds an entry starting with `until`; throws (naming what it saw) if it never does. */
async function settle(events: string[], until: string, timeoutMs = 5_000) {
  const deadline = performance.now() + timeoutMs;
  while (!events.some((e) => e.startsWith(until))) {
    if (performance.now() > deadline) {
      throw new Error(`no "${until}" within ${timeoutMs} ms; events: ${events.join(" | ")}`);
    }
    await Bun.sleep(5);
  }
}

test("offsets are committed only after dead letters are acknowledged and ticks, bars and latest are written", async () => {
  const { events, runner } = world([record(0, [0, 1]), record(1, [9]), record(2, [0, 2])]);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events).toEqual([
    "writeTicks 2",
    "deadLetter 1:bad_magic_byte",
    "writeBars 1",
    "publishBars 10.5x2",
    "writeLatest 2",
    "commit 0@3",
    "commit 0@3 (waited)",
  ]);
});

test("a minute after everything stored for its symbol-day starts empty: one horizon read, no minute read back", async () => {
  const { events, runner, reads, stats } = world([record(0, [0, 1]), record(1, [0, 2])]);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events).toContain("publishBars 10.5x2");
  expect(reads).toEqual({ minutes: 0, horizons: 1 });
  expect(stats.counter("bars.rebuilt").value).toBe(0);
});

test("a minute that already holds stored trades (another member's, before a restart) is rebuilt from them", async () => {
  const earlier = { ...tickAt(40), sequence: 40, price: "11.5" };
  const { events, runner, reads, stats } = world(
    [record(0, [0, 1]), record(1, [0, 2])],
    0,
    tickAt,
    -1,
    false,
    [earlier],
  );
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  // The stored trade at +40 µs is the newest of the day, so the minute is read back: 3 trades.
  expect(events).toContain("publishBars 10.5x3");
  expect(reads).toEqual({ minutes: 1, horizons: 1 });
  expect(stats.counter("bars.rebuilt").value).toBe(1);
});

test("an offset Kafka lost (a commit sent during a rebalance) is committed again, though no record follows", async () => {
  const { events, runner, stats, loopTurns } = world([record(5, [0, 1])]);
  runner.start();
  await settle(events, "commit");
  await Bun.sleep(30);
  // The broker still holds the offset from before this batch, past the settle time.
  runner.reconcile([{ topic: "market.ticks", partition: 0, committed: 5 }]);
  for (let i = 0; i < 400 && events.filter((e) => e === "commit 0@6").length < 2; i += 1) {
    await Bun.sleep(5);
  }
  // Once Kafka holds it, nothing more is sent.
  runner.reconcile([{ topic: "market.ticks", partition: 0, committed: 6 }]);
  await loopTurns(3);
  await runner.stop();
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([
    "commit 0@6",
    "commit 0@6",
    "commit 0@6 (waited)",
  ]);
  expect(stats.counter("commits.resent").value).toBe(1);
});

test("a commit Kafka may not show yet is not sent again", async () => {
  // A settle time no test machine outruns: the reconcile below always comes before it.
  const { events, runner, loopTurns } = world(
    [record(5, [0, 1])],
    0,
    tickAt,
    -1,
    false,
    [],
    60_000,
  );
  runner.start();
  await settle(events, "commit");
  runner.reconcile([{ topic: "market.ticks", partition: 0, committed: 5 }]);
  await loopTurns(3);
  await runner.stop();
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([
    "commit 0@6",
    "commit 0@6 (waited)",
  ]);
});

test("a lost commit of a partition revoked since is not sent again: it is another member's now", async () => {
  const { events, runner, loopTurns } = world([record(5, [0, 1])]);
  runner.start();
  await settle(events, "commit");
  await Bun.sleep(30); // past the settle time (20 ms): without the revoke it would be sent again
  runner.revoked([{ topic: "market.ticks", partition: 0 }]);
  runner.reconcile([{ topic: "market.ticks", partition: 0, committed: 5 }]);
  await loopTurns(3);
  await runner.stop();
  expect(events.filter((e) => e.startsWith("commit"))).toEqual(["commit 0@6"]);
});

test("a failing store pauses consumption, retries with backoff, resumes and commits once written", async () => {
  const { events, runner, stored } = world([record(5, [0, 1])], 2);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events.slice(0, 5)).toEqual([
    "writeTicks failed",
    "pause",
    "writeTicks failed",
    "writeTicks 1",
    "resume",
  ]);
  expect(events.slice(-2)).toEqual(["commit 0@6", "commit 0@6 (waited)"]);
  expect(stored).toHaveLength(1);
});

test("stopping while the store is down abandons the batch without committing it", async () => {
  const { events, runner } = world([record(5, [0, 1])], 1_000_000);
  runner.start();
  await settle(events, "pause");
  await runner.stop();
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([]);
});

test("while a step retries, the loop keeps polling the paused consumer so it stays in its group", async () => {
  const { events, runner, keepAlivePolls } = world([record(5, [0, 1])], 3);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(keepAlivePolls()).toBeGreaterThan(3);
  expect(events.slice(-2)).toEqual(["commit 0@6", "commit 0@6 (waited)"]);
});

test("a tick Cassandra refuses for its data is dead-lettered alone; its neighbours are stored and the batch commits", async () => {
  const sized = (n: number) => ({ ...tickAt(n), size: n === 2 ? 777 : 2 });
  const { events, runner, stored, stats } = world(
    [record(0, [0, 1]), record(1, [0, 2]), record(2, [0, 3])],
    0,
    sized,
    777,
  );
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(stored.map((t) => t.sequence)).toEqual([1, 3]);
  expect(events).toEqual([
    "writeTicks 2",
    "deadLetter 1:cassandra_refused",
    "writeBars 1",
    "publishBars 10.5x2",
    "writeLatest 3",
    "commit 0@3",
    "commit 0@3 (waited)",
  ]);
  expect(stats.counters("deadLettered.")).toEqual({ cassandra_refused: 1 });
});

test("two valid trades whose minute volume overflows a long are dead-lettered with the reason, and the batch commits", async () => {
  const huge = (n: number) => ({ ...tickAt(n), size: 9_007_199_254_740_990 });
  const { events, runner, stats } = world([record(0, [0, 1]), record(1, [0, 2])], 0, huge);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events).toEqual([
    "writeTicks 2",
    "deadLetter 0:bar_out_of_range,1:bar_out_of_range",
    "writeLatest 2",
    "commit 0@2",
    "commit 0@2 (waited)",
  ]);
  expect(stats.counters("bars.")).toMatchObject({ refused: 1 });
  expect(stats.counter("bars.written").value).toBe(0);
});

test("while the dead-letter topic cannot be written, the step is reported as failing, consumption pauses and nothing is committed", async () => {
  const { events, runner } = world([record(0, [0, 1]), record(1, [9])], 0, tickAt, -1, true);
  runner.start();
  for (let i = 0; i < 400 && events.filter((e) => e === "deadLetter failed").length < 3; i += 1)
    await Bun.sleep(5);
  expect(runner.failingStep()).toBe("deadLetter");
  await runner.stop();
  expect(events).toContain("pause");
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([]);
});

/** A runner over three one-record batches whose first tick write waits until released. */
function pipelineWorld(maxInFlightBatches: number, firstWrite: "slow" | "down" = "slow") {
  const events: string[] = [];
  const batches = [[record(0, [0, 1])], [record(1, [0, 2])], [record(2, [0, 3])]];
  let releaseFirstWrite: () => void = () => {};
  const firstWriteDone = new Promise<void>((resolve) => {
    releaseFirstWrite = resolve;
  });
  const runner = createRunner({
    consumer: {
      async poll() {
        const next = batches.shift();
        if (next) events.push(`poll ${next[0]?.offset}`);
        await Bun.sleep(2);
        return next ?? [];
      },
      commit(offsets: PartitionOffset[], options?: { wait?: boolean }) {
        const how = options?.wait === false ? "" : " (waited)";
        events.push(`commit ${offsets.map((o) => o.offset).join(",")}${how}`);
        return offsets;
      },
      pauseAll: () => {},
      resumeAll: () => {},
    },
    decode: async (value): Promise<DecodedTick> => {
      events.push(`decode ${value?.[1]}`);
      return { ok: true, value: tickAt(value?.[1] as number) };
    },
    store: {
      async writeTicks(ticks) {
        if (ticks[0]?.sequence === 1) {
          if (firstWrite === "down") throw new Error("Cassandra timed out");
          await firstWriteDone;
        }
        events.push(`write ${ticks[0]?.sequence}`);
        return [];
      },
      foldTrades: async () => {},
      newestEventTime: async () => Number.NEGATIVE_INFINITY,
      writeBars: async () => [],
      writeLatest: async () => [],
      ping: async () => true,
    },
    publishDeadLetters: async () => {},
    publishBars: async () => [],
    lateness: createLateness(60_000),
    stats: createStats(),
    log: createLogger("consumer-test", "fatal"),
    maxBatch: 100,
    maxInFlightBatches,
    maxConcurrency: 4,
    retryMaxDelayMs: 20,
    commitSettleMs: 20,
  });
  return { events, runner, releaseFirstWrite };
}

test("later batches are polled, decoded and their ticks written while an earlier batch is slow; then all finish as one commit", async () => {
  const { events, runner, releaseFirstWrite } = pipelineWorld(3);
  runner.start();
  await settle(events, "write 3");
  // Batch 1's ticks are not durable yet: batches 2 and 3 wrote theirs, nobody committed.
  expect(events.filter((e) => /^(write|commit)/.test(e))).toEqual(["write 2", "write 3"]);
  releaseFirstWrite();
  await settle(events, "commit 3");
  await runner.stop();
  expect(events.filter((e) => /^(write|commit)/.test(e))).toEqual([
    "write 2",
    "write 3",
    "write 1",
    // Batches 2 and 3 were durable when batch 1 finished: one merged finish, one commit past all three.
    "commit 3",
    "commit 3 (waited)",
  ]);
});

test("no more than maxInFlightBatches batches are between poll and commit", async () => {
  const { events, runner, releaseFirstWrite } = pipelineWorld(2);
  runner.start();
  await settle(events, "decode 3");
  releaseFirstWrite();
  await settle(events, "commit 3");
  await runner.stop();
  // Batch 3 was decoded while 1 and 2 were in flight, and written only once batch 2 committed.
  const order = events.filter((e) => /^(write|commit)/.test(e));
  expect(order).toEqual([
    "write 2",
    "write 1",
    "commit 2",
    "write 3",
    "commit 3",
    "commit 3 (waited)",
  ]);
});

test("stopping while an earlier batch cannot be written commits none of the later, written batches", async () => {
  const { events, runner } = pipelineWorld(3, "down");
  runner.start();
  await settle(events, "write 3");
  await runner.stop();
  expect(events.filter((e) => e.startsWith("write"))).toEqual(["write 2", "write 3"]);
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([]);
});
