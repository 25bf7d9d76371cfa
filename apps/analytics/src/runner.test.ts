import { expect, test } from "bun:test";
import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node/types";
import { PipelineError } from "@repo/platform/errors";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import type { Rule } from "./alerts/rules.ts";
import type { OutboxDelivery } from "./cassandra/outbox.ts";
import type { Firing } from "./cassandra/store.ts";
import { parseIndicatorList } from "./indicators/specs.ts";
import type { DecodedBar } from "./kafka/bars.ts";
import { createRunner } from "./runner.ts";
import { createSessionBook, type IndicatorRow } from "./series/book.ts";
import type { MinuteBar } from "./series/rollup.ts";

const T0 = 1_767_600_000_000_000;
const MIN = 60_000_000;

/** Bars by record value: the fake decoder reads `value` as an index into this list. */
function scenario(
  bars: (MinuteBar | "poison")[],
  options: {
    webhook?: boolean;
    recorded?: string[];
    writeFailures?: number;
    publishFailures?: number;
  } = {},
) {
  const batches: ConsumedRecord[][] = [
    bars.map((_, i) => ({
      topic: "bars",
      partition: 0,
      offset: i,
      key: null,
      value: Buffer.from(String(i)),
      timestamp: Date.now(),
    })),
  ];
  const commits: PartitionOffset[][] = [];
  const events: string[] = [];
  const written: IndicatorRow[][] = [];
  const recorded = new Set<string>(options.recorded);
  let writeFailures = options.writeFailures ?? 2;
  let publishFailures = options.publishFailures ?? 0;
  const publishes: string[] = [];
  const stats = createStats();
  const rule: Rule = {
    id: "r",
    symbol: "X",
    condition: { kind: "price_cross", level: "100", direction: "up", hysteresis: "1" },
    webhook: options.webhook
      ? { url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef" }
      : null,
    createdAt: T0,
  };
  const delivered: Firing[] = [];
  const sent: OutboxDelivery[] = [];
  const runner = createRunner({
    consumer: {
      // librdkafka waits up to its poll timeout when nothing is fetched.
      async poll() {
        const next = batches.shift();
        if (next) return next;
        await Bun.sleep(5);
        return [];
      },
      commit: (offsets) => {
        commits.push(offsets);
        events.push("commit");
        return offsets;
      },
      pauseAll: () => events.push("pause"),
      resumeAll: () => events.push("resume"),
    },
    decode: async (value): Promise<DecodedBar> => {
      const bar = bars[Number(String(value))];
      return bar === "poison" || bar === undefined
        ? { ok: false, code: "corrupt_avro", detail: "truncated" }
        : { ok: true, symbol: "X", bar };
    },
    book: createSessionBook(parseIndicatorList("sma2"), { closeAfterUs: 0 }),
    store: {
      dayBars: async () => [],
      previousSessions: async () => [],
      async writeIndicators(rows) {
        if (writeFailures-- > 0) {
          events.push("write failed");
          throw new PipelineError("Cassandra timed out", { retriable: true });
        }
        events.push("written");
        written.push(rows);
      },
      async recordFiring(firing) {
        events.push("firing recorded");
        if (recorded.has(firing.dedupKey)) return false;
        recorded.add(firing.dedupKey);
        return true;
      },
    },
    async publishIndicators() {
      if (publishFailures-- > 0) {
        publishes.push("publish failed");
        throw new PipelineError("Kafka broker unavailable", { retriable: true });
      }
      publishes.push("published");
    },
    rulesOf: () => [rule],
    outbox: {
      async claim(delivery) {
        events.push(`claimed ${delivery.id}`);
        return true;
      },
      async remove(delivery) {
        events.push(`released ${delivery.id}`);
      },
    },
    delivered: (firing, _rule, delivery) => {
      delivered.push(firing);
      if (delivery) sent.push(delivery);
    },
    stats,
    log: createLogger("runner-test", "fatal"),
    maxBatch: 100,
    retryMaxDelayMs: 20,
  });
  /** The indicator writes succeed from now on. */
  const heal = () => {
    writeFailures = 0;
  };
  return { runner, commits, events, publishes, written, delivered, sent, stats, heal };
}

const bar = (minute: number, close: bigint, trades: bigint): MinuteBar => ({
  start: T0 + minute * MIN,
  open: close,
  high: close,
  low: close,
  close,
  volume: 10n,
  vwap: close,
  trades,
});

test("a failing write pauses, retries and commits only once the batch's rows and firings are durable", async () => {
  const s = scenario([
    bar(0, 99_000_000n, 1n),
    "poison",
    bar(1, 101_000_000n, 1n),
    bar(1, 100_500_000n, 1n),
    bar(0, 98_000_000n, 0n),
  ]);
  let failingSeen: string | undefined;
  s.runner.start();
  for (let i = 0; i < 200 && s.commits.length === 0; i += 1) {
    failingSeen ??= s.runner.failingStep();
    await Bun.sleep(5);
  }
  await s.runner.stop();
  expect(failingSeen).toBe("writeIndicators");
  expect(s.events).toEqual([
    "write failed",
    "pause",
    "write failed",
    "written",
    "resume",
    "firing recorded",
    "commit",
  ]);
  expect(s.commits).toEqual([[{ topic: "bars", partition: 0, offset: 5 }]]);
  expect(s.runner.failingStep()).toBeUndefined();
  // The poison record and the stale version (fewer trades) are counted, not applied.
  expect(s.stats.counters("skipped.")).toEqual({ corrupt_avro: 1 });
  expect(s.stats.counter("bars.stale").value).toBe(1);
  // The crossing fired once; the same-minute version with equal trades replaced it (no second firing).
  expect(s.delivered.map((f) => [f.event, f.barStart - T0, f.price])).toEqual([
    ["cross_up", MIN, "101"],
  ]);
  expect(
    s.written.flat().findLast((r) => r.interval === "1m" && r.start === T0 + MIN)?.value,
  ).toEqual({
    value: 99_750_000n,
  });
});

test("a webhook delivery is claimed in the outbox before its firing is recorded, and released when the firing was recorded already", async () => {
  const key = (minute: number) => `r|${T0 + minute * MIN}|cross_up`;
  const s = scenario(
    [
      bar(0, 99_000_000n, 1n),
      bar(1, 101_000_000n, 1n),
      bar(2, 99_000_000n, 1n),
      bar(3, 101_000_000n, 1n),
    ],
    { webhook: true, recorded: [key(1)], writeFailures: 0 },
  );
  s.runner.start();
  for (let i = 0; i < 200 && s.commits.length === 0; i += 1) await Bun.sleep(5);
  await s.runner.stop();
  expect(s.events.filter((e) => e !== "written")).toEqual([
    `claimed ${key(1)}`,
    "firing recorded",
    `released ${key(1)}`,
    `claimed ${key(3)}`,
    "firing recorded",
    "commit",
  ]);
  expect(s.sent.map((d) => [d.id, d.url, JSON.parse(d.body).price])).toEqual([
    [key(3), "http://127.0.0.1:9/hook", "101"],
  ]);
});

test("when the indicator write and its publish both fail, the first to recover does not resume the loop: it stays paused and not ready until both recovered", async () => {
  const s = scenario([bar(0, 99_000_000n, 1n), bar(1, 101_000_000n, 1n)], {
    writeFailures: Number.POSITIVE_INFINITY,
    publishFailures: 2,
  });
  const reported: (string | undefined)[] = [];
  const writeFailed = () => s.events.filter((e) => e === "write failed").length;
  s.runner.start();
  // The publish recovers after its third attempt; the write keeps failing after that.
  for (let i = 0; i < 600 && !(s.publishes.includes("published") && writeFailed() >= 5); i += 1) {
    if (s.events.includes("pause")) reported.push(s.runner.failingStep());
    await Bun.sleep(5);
  }
  expect(s.publishes).toEqual(["publish failed", "publish failed", "published"]);
  expect(writeFailed()).toBeGreaterThanOrEqual(5);
  // Readiness reads failingStep: a step was reported at every look while either was down.
  expect(reported.length).toBeGreaterThan(0);
  expect(reported.filter((step) => step !== "writeIndicators")).toEqual([]);
  expect(s.events.filter((e) => e !== "write failed")).toEqual(["pause"]);
  expect(s.commits).toEqual([]);

  s.heal();
  for (let i = 0; i < 600 && s.commits.length === 0; i += 1) await Bun.sleep(5);
  await s.runner.stop();
  expect(s.events.filter((e) => e !== "write failed")).toEqual([
    "pause",
    "written",
    "resume",
    "firing recorded",
    "commit",
  ]);
  expect(s.runner.failingStep()).toBeUndefined();
}, 20_000);
