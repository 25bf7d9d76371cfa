import { expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { sampleTick } from "@repo/testkit";
import type { ConsumerTick } from "../tick/decode.ts";
import { createLatestQuotes } from "./latest.ts";

const minute = 1_795_617_000_000_000;
const tick = (symbol: string, offset: number, cancelled = false): Tick =>
  sampleTick({ source: "sim", symbol, eventTime: minute + offset, sequence: offset, cancelled });
const shown = (ticks: ConsumerTick[]) => ticks.map((t) => `${t.symbol}@${t.sequence}`).sort();

/** A clock the test moves by hand. */
function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test("a symbol seen for the first time is written whatever later batches hold", () => {
  const latest = createLatestQuotes({ now: clock().now });
  const due = latest.due([tick("AAPL", 1), tick("AAPL", 2), tick("MSFT", 3)], [[tick("AAPL", 9)]]);
  expect(shown(due)).toEqual(["AAPL@2", "MSFT@3"]);
});

test("a symbol written within the refresh is left to a later batch that holds a newer tick, and written by it", () => {
  const time = clock();
  const latest = createLatestQuotes({ refreshMs: 1000, now: time.now });
  latest.written(latest.due([tick("AAPL", 1), tick("MSFT", 1)], []));
  time.advance(100);
  const first = latest.due([tick("AAPL", 2), tick("MSFT", 2)], [[tick("AAPL", 5)]]);
  expect(shown(first)).toEqual(["MSFT@2"]);
  expect(latest.waiting).toBe(1);
  latest.written(first);
  // The later batch finishes: its newer tick wins over the candidate left for it.
  const second = latest.due([tick("AAPL", 5)], []);
  expect(shown(second)).toEqual(["AAPL@5"]);
  expect(latest.waiting).toBe(0);
});

test("a later tick that is older (out of order) does not supersede the batch's newest", () => {
  const time = clock();
  const latest = createLatestQuotes({ now: time.now });
  latest.written(latest.due([tick("AAPL", 1)], []));
  expect(shown(latest.due([tick("AAPL", 7)], [[tick("AAPL", 3)]]))).toEqual(["AAPL@7"]);
});

test("a candidate is written when the later batch's newer tick never is (refused, or its partition revoked)", () => {
  const time = clock();
  const latest = createLatestQuotes({ now: time.now });
  latest.written(latest.due([tick("AAPL", 1)], []));
  expect(latest.due([tick("AAPL", 2)], [[tick("AAPL", 5)]])).toEqual([]);
  // The later batch's tick of AAPL was refused by Cassandra: only its MSFT tick is durable.
  expect(shown(latest.due([tick("MSFT", 6)], []))).toEqual(["AAPL@2", "MSFT@6"]);
});

test("while a backlog keeps superseding a symbol it is still written once per refresh", () => {
  const time = clock();
  const latest = createLatestQuotes({ refreshMs: 1000, now: time.now });
  latest.written(latest.due([tick("AAPL", 0)], []));
  const writes: string[] = [];
  for (let batch = 1; batch <= 30; batch += 1) {
    time.advance(100);
    const due = latest.due([tick("AAPL", batch)], [[tick("AAPL", batch + 1)]]);
    latest.written(due);
    writes.push(...shown(due));
  }
  // 3 s of batches 100 ms apart: one write per second, each the newest durable tick then.
  expect(writes).toEqual(["AAPL@10", "AAPL@20", "AAPL@30"]);
});

test("cancels never become a symbol's latest quote", () => {
  const latest = createLatestQuotes({ now: clock().now });
  expect(shown(latest.due([tick("AAPL", 1), tick("AAPL", 2, true)], []))).toEqual(["AAPL@1"]);
});
