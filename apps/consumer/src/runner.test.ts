import { expect, test } from "bun:test";
import type { Bar, Tick } from "@repo/contracts";
import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { createLateness } from "./bars/lateness.ts";
import type { TickStore } from "./cassandra/store.ts";
import { createRunner, type DeadLetter } from "./runner.ts";
import type { DecodedTick } from "./tick/decode.ts";

const minute = 1_795_703_400_000_000;
const tickAt = (offset: number): Tick => ({
  source: "sim",
  symbol: "AAPL",
  kind: "TRADE",
  eventTime: minute + offset,
  sequence: offset,
  price: "10.5",
  size: 2,
  bid: null,
  ask: null,
  bidSize: null,
  askSize: null,
  exchange: null,
  ingestTime: minute,
});

/** A fake world: one poll of `records`, a store that fails `failures` times, an event log. */
function world(records: ConsumedRecord[], failures = 0) {
  const events: string[] = [];
  const stored: Tick[] = [];
  let remainingFailures = failures;
  let polled = false;
  const store: TickStore = {
    async writeTicks(ticks) {
      if (remainingFailures > 0) {
        remainingFailures -= 1;
        events.push("writeTicks failed");
        throw new Error("NoHostAvailable");
      }
      stored.push(...ticks);
      events.push(`writeTicks ${ticks.length}`);
    },
    async tradesOf({ start }) {
      return stored
        .filter((t) => t.eventTime >= start && t.eventTime < start + 60_000_000)
        .map((t) => ({ ...t }));
    },
    async writeBars(bars) {
      events.push(`writeBars ${bars.length}`);
    },
    async writeLatest() {
      events.push("writeLatest");
    },
    ping: async () => true,
  };
  const runner = createRunner({
    consumer: {
      async poll() {
        if (polled) {
          await Bun.sleep(5);
          return [];
        }
        polled = true;
        return records;
      },
      commit(offsets: PartitionOffset[]) {
        events.push(`commit ${offsets.map((o) => `${o.partition}@${o.offset}`).join(",")}`);
        return offsets;
      },
      pauseAll: () => events.push("pause"),
      resumeAll: () => events.push("resume"),
    },
    decode: async (value): Promise<DecodedTick> =>
      value?.[0] === 0
        ? { ok: true, tick: tickAt(value[1] as number) }
        : { ok: false, reason: { code: "bad_magic_byte", stage: "decode", detail: "x" } },
    store,
    publishDeadLetters: async (letters: DeadLetter[]) => {
      events.push(`deadLetter ${letters.map((l) => l.record.offset).join(",")}`);
    },
    publishBars: async (bars: Bar[]) => {
      events.push(`publishBars ${bars.map((b) => `${b.open}x${b.trades}`).join(",")}`);
    },
    lateness: createLateness(60_000),
    stats: createStats(),
    log: createLogger("consumer-test", "fatal"),
    maxBatch: 100,
    maxConcurrency: 4,
    retryMaxDelayMs: 20,
  });
  return { events, runner, stored };
}

const record = (offset: number, value: number[]): ConsumedRecord => ({
  topic: "market.ticks",
  partition: 0,
  offset,
  key: null,
  value: Buffer.from(value),
  timestamp: 0,
});

async function settle(events: string[], until: string) {
  for (let i = 0; i < 400 && !events.some((e) => e.startsWith(until)); i += 1) await Bun.sleep(5);
}

test("offsets are committed only after dead letters are acknowledged and ticks, bars and latest are written", async () => {
  const { events, runner } = world([record(0, [0, 1]), record(1, [9]), record(2, [0, 2])]);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events).toEqual([
    "deadLetter 1",
    "writeTicks 2",
    "writeBars 1",
    "publishBars 10.5x2",
    "writeLatest",
    "commit 0@3",
  ]);
});

test("a failing store pauses consumption, retries with backoff, resumes and commits once written", async () => {
  const { events, runner, stored } = world([record(5, [0, 1])], 2);
  runner.start();
  await settle(events, "commit");
  await runner.stop();
  expect(events.slice(0, 6)).toEqual([
    "deadLetter ",
    "writeTicks failed",
    "pause",
    "writeTicks failed",
    "writeTicks 1",
    "resume",
  ]);
  expect(events.at(-1)).toBe("commit 0@6");
  expect(stored).toHaveLength(1);
});

test("stopping while the store is down abandons the batch without committing it", async () => {
  const { events, runner } = world([record(5, [0, 1])], 1_000_000);
  runner.start();
  await settle(events, "pause");
  await runner.stop();
  expect(events.filter((e) => e.startsWith("commit"))).toEqual([]);
});
