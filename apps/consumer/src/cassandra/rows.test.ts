import { expect, test } from "bun:test";
import { BARS_1M, barWriter, latestQuoteWriter, tickWriter } from "@repo/cassandra";
import { sampleTick } from "@repo/testkit";
import { barDeleteRow, barRow, latestRow, tickRow } from "./rows.ts";

const tick = sampleTick({
  source: "sim",
  kind: "QUOTE",
  eventTime: 1_767_623_400_123_456,
  sequence: 7,
  price: "187.25",
  size: 0,
  bid: "187.24",
  bidSize: 100,
  exchange: null,
  ingestTime: 1_767_623_400_200_000,
});

const timestampOf = (values: unknown[]) => (values.at(-1) as Buffer).readBigInt64BE(0);

test("the latest quote is @repo/cassandra's row timestamped with its event time × 1024 plus a tiebreak", () => {
  const values = latestRow.values(tick);
  expect(latestRow.insert).toBe(latestQuoteWriter.insert);
  expect(values.slice(0, -1)).toEqual(latestQuoteWriter.values(tick));
  const written = timestampOf(values);
  expect(written / 1024n).toBe(BigInt(tick.eventTime));
  // A later microsecond always wins; a quote in the same microsecond gets another timestamp.
  const later = { ...tick, eventTime: tick.eventTime + 1, sequence: 0 };
  expect(timestampOf(latestRow.values(later))).toBeGreaterThan(written);
  const sameMicrosecond = { ...tick, kind: "QUOTE" as const, sequence: tick.sequence + 1 };
  expect(timestampOf(latestRow.values(sameMicrosecond))).not.toBe(written);
});

test("a bar row is versioned by its minute's start plus its trade count (× 1024, plus a tiebreak from its values)", () => {
  const bar = {
    symbol: "AAPL",
    start: 1_767_623_400_000_000,
    end: 1_767_623_460_000_000,
    open: "1",
    high: "2",
    low: "1",
    close: "2",
    volume: 10,
    vwap: "1.5",
    trades: 3,
  };
  const row = (b: typeof bar, seen = b.trades) => ({
    symbol: b.symbol,
    start: b.start,
    bar: b,
    seen,
  });
  expect(barRow.insert).toEndWith("USING TIMESTAMP ?");
  const version = timestampOf(barRow.values(row(bar)));
  expect(version / 1024n).toBe(1_767_623_400_000_003n);
  // One trade more always wins; the same count with other values gets another timestamp.
  expect(timestampOf(barRow.values(row({ ...bar, trades: 4 })))).toBeGreaterThan(version);
  expect(timestampOf(barRow.values(row({ ...bar, close: "1.9" })))).not.toBe(version);
  // One of the 3 trades cancelled: 2 trades, but seen = 2 + 2 × 1 = 4, above the stale bar.
  expect(timestampOf(barRow.values(row({ ...bar, trades: 2, volume: 7 }, 4)))).toBeGreaterThan(
    version,
  );
  const values = barRow.values(row(bar));
  expect(barRow.insert).toBe(barWriter.insert);
  expect(values).toHaveLength(barWriter.columns.length + 1);
});

test("a minute whose every trade is cancelled deletes its bar row above the last version written", () => {
  const start = 1_767_623_400_000_000;
  const lastBar = {
    symbol: "AAPL",
    start,
    end: start + 60_000_000,
    open: "1",
    high: "1",
    low: "1",
    close: "1",
    volume: 5,
    vwap: "1",
    trades: 1,
  };
  const written = timestampOf(barRow.values({ symbol: "AAPL", start, bar: lastBar, seen: 1 }));
  const deletion = barDeleteRow.values({ symbol: "AAPL", start, bar: undefined, seen: 2 });
  expect(barDeleteRow.insert).toStartWith("DELETE FROM bars_1m USING TIMESTAMP ?");
  expect((deletion[0] as Buffer).readBigInt64BE(0)).toBeGreaterThan(written);
  // A trade arriving later (seen 3) writes a bar above the deletion.
  const later = timestampOf(barRow.values({ symbol: "AAPL", start, bar: lastBar, seen: 3 }));
  expect(later).toBeGreaterThan((deletion[0] as Buffer).readBigInt64BE(0));
});

test("ticks are written by @repo/cassandra's tick writer; a bar deletion names bars_1m's key", () => {
  expect(tickRow).toBe(tickWriter);
  expect(barDeleteRow.table).toBe(BARS_1M.name);
  expect(barDeleteRow.columns).toEqual([...BARS_1M.partitionKey, "minute"]);
});
