import { expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node";
import { sampleTick } from "@repo/testkit";
import { MINUTE_US } from "../bars/bar.ts";
import { createLateness } from "../bars/lateness.ts";
import type { DecodedTick } from "../tick/decode.ts";
import { keepPartitions, mergePlans, newestBySymbol, planBatch, sourceOf } from "./plan.ts";

const minute = 1_795_617_000_000_000;
const tick = (symbol: string, eventTime: number, kind: Tick["kind"] = "TRADE"): Tick =>
  sampleTick({
    source: "sim",
    symbol,
    kind,
    eventTime,
    sequence: eventTime % 1000,
    price: "10",
    size: kind === "TRADE" ? 5 : 0,
    bid: kind === "QUOTE" ? "9.9" : null,
    ask: kind === "QUOTE" ? "10.1" : null,
    exchange: null,
    ingestTime: eventTime,
  });
const record = (partition: number, offset: number): ConsumedRecord => ({
  topic: "market.ticks",
  partition,
  offset,
  key: null,
  value: Buffer.from([0]),
  timestamp: 0,
});
const ok = (t: Tick): DecodedTick => ({ ok: true, value: t });

test("commits the next offset of every partition, including partitions that only had poison", () => {
  const plan = planBatch(
    [record(0, 7), record(1, 3), record(0, 8)],
    [
      ok(tick("AAPL", minute)),
      { ok: false, reason: { code: "bad_magic_byte", stage: "decode", detail: "x" } },
      ok(tick("AAPL", minute + 1)),
    ],
    createLateness(60_000),
  );
  expect(plan.commits).toEqual([
    { topic: "market.ticks", partition: 0, offset: 9 },
    { topic: "market.ticks", partition: 1, offset: 4 },
  ]);
  expect(plan.deadLetters.map((d) => d.record.offset)).toEqual([3]);
  expect(plan.ticks).toHaveLength(2);
});

test("bars are touched by trades only; quotes still update the latest tick", () => {
  const plan = planBatch(
    [record(0, 0), record(0, 1), record(0, 2)],
    [
      ok(tick("AAPL", minute)),
      ok(tick("AAPL", minute + MINUTE_US, "QUOTE")),
      ok(tick("MSFT", minute + 5)),
    ],
    createLateness(60_000),
  );
  expect(plan.minutes).toEqual([
    { symbol: "AAPL", start: minute },
    { symbol: "MSFT", start: minute },
  ]);
  expect([...newestBySymbol(plan.ticks).values()].map((t) => [t.symbol, t.kind])).toEqual([
    ["AAPL", "QUOTE"],
    ["MSFT", "TRADE"],
  ]);
});

test("a trade beyond the late allowance (history, a recovered gap) is counted and still touches its bar", () => {
  const plan = planBatch(
    [record(0, 0), record(0, 1)],
    [ok(tick("AAPL", minute + 3 * MINUTE_US)), ok(tick("AAPL", minute))],
    createLateness(60_000),
  );
  expect(plan.ticks).toHaveLength(2);
  expect(plan.lateTicks).toBe(1);
  expect(plan.minutes).toEqual([
    { symbol: "AAPL", start: minute + 3 * MINUTE_US },
    { symbol: "AAPL", start: minute },
  ]);
  expect(newestBySymbol(plan.ticks).get("AAPL")?.eventTime).toBe(minute + 3 * MINUTE_US);
});

test("merged plans do their batches' work once: each minute and commit once, the highest offset per partition", () => {
  const lateness = createLateness(60_000);
  const first = planBatch(
    [record(0, 10), record(1, 20)],
    [ok(tick("AAPL", minute)), ok(tick("MSFT", minute + 1))],
    lateness,
  );
  const second = planBatch(
    [record(0, 11), record(2, 5)],
    [
      ok(tick("AAPL", minute + 2)),
      { ok: false, reason: { code: "empty_value", stage: "decode", detail: "no value" } },
    ],
    lateness,
  );
  const merged = mergePlans([first, second]);
  expect(merged.ticks.map((t) => t.symbol)).toEqual(["AAPL", "MSFT", "AAPL"]);
  expect(merged.minutes).toHaveLength(2);
  expect(merged.deadLetters.map((l) => l.record.offset)).toEqual([5]);
  expect(merged.commits.map((c) => `${c.partition}@${c.offset}`).sort()).toEqual([
    "0@12",
    "1@21",
    "2@6",
  ]);
  // Each tick keeps its own record, by index and through sourceOf.
  expect(merged.records.map((r) => `${r.partition}@${r.offset}`)).toEqual(["0@10", "1@20", "0@11"]);
  merged.ticks.forEach((t, i) => {
    expect(sourceOf(merged, t)).toBe(merged.records[i] as ConsumedRecord);
  });
  expect(mergePlans([first])).toBe(first);
});

test("the part of a plan whose partitions are still owned keeps each tick with its own record", () => {
  const plan = planBatch(
    [record(0, 1), record(1, 1), record(0, 2), record(1, 2)],
    [
      ok(tick("AAPL", minute)),
      ok(tick("MSFT", minute + 1)),
      ok(tick("AAPL", minute + MINUTE_US)),
      { ok: false, reason: { code: "empty_value", stage: "decode", detail: "no value" } },
    ],
    createLateness(60_000),
  );
  const kept = keepPartitions(plan, (at) => at.partition === 0);
  expect(kept.ticks.map((t) => t.symbol)).toEqual(["AAPL", "AAPL"]);
  expect(kept.records.map((r) => `${r.partition}@${r.offset}`)).toEqual(["0@1", "0@2"]);
  expect(kept.minutes).toEqual([
    { symbol: "AAPL", start: minute },
    { symbol: "AAPL", start: minute + MINUTE_US },
  ]);
  expect(kept.deadLetters).toEqual([]);
  expect(kept.commits).toEqual([{ topic: "market.ticks", partition: 0, offset: 3 }]);
});
