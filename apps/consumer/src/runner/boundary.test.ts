/**
 * The runner at its edges: a write that keeps failing while the in-flight limit is reached, a
 * partition revoked while its batch is in flight, stored data an aggregate cannot hold.
 */
import { expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { sampleTick } from "@repo/testkit";
import type { Trade } from "../bars/bar.ts";
import { createLateness } from "../bars/lateness.ts";
import type { DecodedTick } from "../tick/decode.ts";
import { createRunner, type DeadLetter } from "./index.ts";

const minute = 1_795_617_000_000_000;
/** Stored ticks as the fake store keeps them: any trade fields, symbol included. */
type Stored = Trade & { symbol: string };
const trade = (sequence: number, price = "10.5", symbol = "AAPL"): Tick =>
  sampleTick({
    source: "sim",
    symbol,
    eventTime: minute + sequence,
    sequence,
    price,
    size: 2,
    exchange: null,
    ingestTime: minute,
  });

/** A record whose value names its trade (decoded by the fake decoder below). */
const record = (
  partition: number,
  offset: number,
  sequence: number,
  symbol = "AAPL",
): ConsumedRecord => ({
  topic: "market.ticks",
  partition,
  offset,
  key: Buffer.from(symbol),
  value: Buffer.from(JSON.stringify({ sequence, symbol })),
  timestamp: 0,
});

interface Options {
  polls: ConsumedRecord[][];
  maxInFlightBatches?: number;
  /** Resolves (or throws, for a transient failure) before the tick write of `sequence` completes. */
  beforeWrite?: (sequence: number) => Promise<void>;
  /** Trades the ticks table held before the test (another member's, or a foreign client's). */
  storedBefore?: Stored[];
}

/** A fake world of consumer, store and topics that records what reaches them, in order. */
function world(options: Options) {
  const events: string[] = [];
  const stored: Stored[] = [...(options.storedBefore ?? [])];
  const polls = [...options.polls];
  let pollCount = 0;
  const letters: DeadLetter[] = [];
  const stats = createStats();
  const runner = createRunner({
    consumer: {
      async poll() {
        pollCount += 1;
        await Bun.sleep(2);
        return polls.shift() ?? [];
      },
      commit(offsets: PartitionOffset[], commitOptions?: { wait?: boolean }) {
        const how = commitOptions?.wait === false ? "" : " (waited)";
        events.push(`commit ${offsets.map((o) => `${o.partition}@${o.offset}`).join(",")}${how}`);
        return offsets;
      },
      pauseAll: () => events.push("pause"),
      resumeAll: () => events.push("resume"),
    },
    decode: async (value): Promise<DecodedTick> => {
      const { sequence, symbol } = JSON.parse(String(value));
      return { ok: true, value: trade(sequence, "10.5", symbol) };
    },
    store: {
      async writeTicks(ticks) {
        for (const tick of ticks) await options.beforeWrite?.(tick.sequence);
        stored.push(...ticks);
        events.push(`writeTicks ${ticks.map((t) => t.sequence).join(",")}`);
        return [];
      },
      async foldTrades({ symbol, start }, fold) {
        events.push("readMinute");
        for (const t of stored) {
          if (t.symbol === symbol && t.eventTime >= start && t.eventTime < start + 60e6)
            fold({ ...t });
        }
      },
      async newestEventTime() {
        events.push("readHorizon");
        return stored.length > 0 ? Math.max(...stored.map((t) => t.eventTime)) : -Infinity;
      },
      async writeBars(bars) {
        events.push(`writeBars ${bars.map((b) => `${b.symbol}x${b.bar?.trades ?? 0}`).join(",")}`);
        return [];
      },
      writeLatest: async () => [],
      ping: async () => true,
    },
    publishDeadLetters: async (batch) => {
      letters.push(...batch);
      events.push(
        `deadLetter ${batch.map((l) => `${l.record.offset}:${l.reason.code}`).join(",")}`,
      );
    },
    publishBars: async () => [],
    lateness: createLateness(60_000),
    stats,
    log: createLogger("consumer-test", "fatal"),
    maxBatch: 100,
    maxInFlightBatches: options.maxInFlightBatches ?? 3,
    maxConcurrency: 4,
    retryMaxDelayMs: 20,
    commitSettleMs: 20,
  });
  return {
    events,
    runner,
    letters,
    stats,
    stored,
    polls: () => pollCount,
    /** Adds a poll result after those given (a later fetch). */
    pushPoll: (records: ConsumedRecord[]) => polls.push(records),
  };
}

/** Waits until `events` holds an entry starting with `prefix`; throws if it never does. */
async function seen(events: string[], prefix: string, timeoutMs = 5_000) {
  const until = performance.now() + timeoutMs;
  while (!events.some((e) => e.startsWith(prefix))) {
    if (performance.now() > until) {
      throw new Error(`no "${prefix}" within ${timeoutMs} ms; events: ${events.join(" | ")}`);
    }
    await Bun.sleep(5);
  }
}

test("while the in-flight limit is reached and a write retries, the loop still polls the paused consumer so the member stays in its group", async () => {
  let failingUntil = 0;
  let pollsWhileFailing = 0;
  const w = world({
    polls: [[record(0, 0, 1)], [record(0, 1, 2)]],
    maxInFlightBatches: 1,
    async beforeWrite(sequence) {
      if (sequence !== 1) return;
      if (failingUntil === 0) failingUntil = performance.now() + 600;
      if (performance.now() < failingUntil) throw new Error("Cassandra timed out");
    },
  });
  w.runner.start();
  await seen(w.events, "pause");
  const before = w.polls();
  await seen(w.events, "writeTicks 1");
  pollsWhileFailing = w.polls() - before;
  await seen(w.events, "commit 0@2");
  await w.runner.stop();
  // The second batch waits for a slot the whole time: only keep-alive polls reach the consumer.
  expect(pollsWhileFailing).toBeGreaterThanOrEqual(3);
});

test("a batch in flight when its partition is revoked writes no bar and commits nothing; when the partition returns, its minute is read back, not taken from a stale aggregate", async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const w = world({
    polls: [[record(3, 0, 1)]],
    beforeWrite: async (sequence) => {
      if (sequence === 1) await held;
    },
  });
  w.runner.start();
  await seen(w.events, "readHorizon");
  w.runner.revoked([{ topic: "market.ticks", partition: 3 }]);
  release();
  await seen(w.events, "writeTicks 1");
  // A later batch of another partition commits only once the revoked one finished (poll order).
  w.pushPoll([record(5, 0, 9, "MSFT")]);
  await seen(w.events, "commit 5@1");
  expect(w.events.filter((e) => /^(writeBars|commit)/.test(e))).toEqual([
    "writeBars MSFTx1",
    "commit 5@1",
  ]);
  // Meanwhile the new owner stored another trade of the minute; then the partition comes back and
  // is replayed from its committed offset, with one trade more.
  w.stored.push(trade(7));
  w.pushPoll([record(3, 0, 1), record(3, 1, 2)]);
  await seen(w.events, "commit 3@2");
  await w.runner.stop();
  expect(w.events).toContain("writeBars AAPLx3");
  expect(w.events).not.toContain("writeBars AAPLx2");
});

test("a stored trade whose price is not a decimal(18,6) dead-letters the trades of its minute as bar_out_of_range; the batch commits and the next batch is handled", async () => {
  const w = world({
    polls: [[record(0, 0, 1)], [], [record(0, 1, 61_000_000)]],
    storedBefore: [{ ...trade(40), price: "1e30" }],
  });
  w.runner.start();
  await seen(w.events, "commit 0@2");
  await w.runner.stop();
  expect(w.letters.map((l) => [l.record.offset, l.reason.code])).toEqual([[0, "bar_out_of_range"]]);
  expect(w.letters[0]?.reason.detail).toContain("1e30");
  expect(w.events).toContain("commit 0@1");
  expect(w.stats.counter("records.written").value).toBe(2);
});

test("a late minute touched by consecutive batches (a backfill) is read back from Cassandra once, not once per batch", async () => {
  const hundredMinutesLater = 100 * 60_000_000;
  const w = world({
    polls: [
      [record(0, 0, hundredMinutesLater)],
      [record(0, 1, 1)],
      [record(0, 2, 2)],
      [record(0, 3, 3)],
    ],
    storedBefore: [{ ...trade(40), symbol: "AAPL" }],
  });
  w.runner.start();
  await seen(w.events, "commit 0@4");
  await w.runner.stop();
  expect(w.events.filter((e) => e === "readMinute")).toHaveLength(1);
  // The stored trade and the three late ones, whichever batches were finished together.
  expect(w.events.filter((e) => e.startsWith("writeBars")).at(-1)).toBe("writeBars AAPLx4");
});
