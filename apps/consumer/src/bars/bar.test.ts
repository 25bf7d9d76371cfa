import { describe, expect, test } from "bun:test";
import { type DecimalValue, formatDecimal, formatUnits } from "@repo/contracts";
import fc from "fast-check";
import { computeBar, dayOf, MINUTE_US, MinuteAggregate, minuteStart, type Trade } from "./bar.ts";
import { createLateness } from "./lateness.ts";

const start = 1_795_703_400_000_000; // a minute boundary
const trade = (offsetUs: number, price: string, size: number, sequence = offsetUs): Trade => ({
  source: "sim",
  sequence,
  eventTime: start + offsetUs,
  price,
  size,
});

describe("computeBar", () => {
  test("OHLC follow event time, not arrival order; volume, trades and VWAP are exact", () => {
    const bar = computeBar("AAPL", start, [
      trade(30, "101.5", 100),
      trade(10, "100.000001", 200),
      trade(50, "99.25", 300),
      trade(20, "102", 400),
    ]);
    expect(bar).toEqual({
      symbol: "AAPL",
      start,
      end: start + MINUTE_US,
      open: "100.000001",
      high: "102",
      low: "99.25",
      close: "99.25",
      volume: 1000,
      // (101.5·100 + 100.000001·200 + 99.25·300 + 102·400) / 1000 = 100.7250002
      vwap: "100.725",
      trades: 4,
    });
  });

  test("ties in event time are ordered by sequence, so open and close are deterministic", () => {
    const bar = computeBar("AAPL", start, [trade(5, "2", 1, 9), trade(5, "1", 1, 3)]);
    expect([bar?.open, bar?.close]).toEqual(["1", "2"]);
  });

  test("no trades, no bar", () => {
    expect(computeBar("AAPL", start, [])).toBeUndefined();
  });
});

test("minutes and days are UTC buckets of microsecond timestamps", () => {
  expect(minuteStart(start + 59_999_999)).toBe(start);
  expect(minuteStart(start + MINUTE_US)).toBe(start + MINUTE_US);
  expect(dayOf(Date.UTC(2026, 10, 26, 23, 59, 59) * 1000 + 999_999)).toBe("2026-11-26");
  expect(dayOf(Date.UTC(2026, 10, 27) * 1000)).toBe("2026-11-27");
});

test("a trade is late only once the symbol's watermark passed its minute's end plus the allowance", () => {
  const lateness = createLateness(30_000);
  lateness.observe("AAPL", start + MINUTE_US + 29_000_000);
  expect(lateness.isLate("AAPL", start + 1)).toBe(false);
  lateness.observe("AAPL", start + MINUTE_US + 30_000_000);
  expect(lateness.isLate("AAPL", start + 1)).toBe(true);
  expect(lateness.isLate("MSFT", start + 1)).toBe(false);
});

test("a minute aggregate fed trades in any order, with replays and a corrected trade, equals the bar of its distinct trades", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const trades = Array.from({ length: 500 }, (_, i) =>
    trade(Math.floor(random() * 59_000_000), (100 + random() * 10).toFixed(6), 1 + (i % 97), i),
  );
  const aggregate = new MinuteAggregate("AAPL", start);
  for (const t of trades) aggregate.add(t);
  for (const t of trades.slice(0, 100)) aggregate.add(t);
  expect(aggregate.bar()).toMatchObject(referenceBar(trades));
  expect(aggregate.size).toBe(500);
  const corrected = { ...(trades[42] as Trade), price: "250", size: 5 };
  aggregate.add(corrected);
  expect(aggregate.bar()).toMatchObject(referenceBar([...trades, corrected]));
  expect(aggregate.bar()?.high).toBe("250");
});

/** The bar of `trades` computed the plain way (independent of MinuteAggregate): last value per identity wins. */
function referenceBar(trades: Trade[]) {
  const distinct = new Map<string, Trade>();
  for (const t of trades) distinct.set(`${t.source}|${t.sequence}|${t.eventTime}`, t);
  const sorted = [...distinct.values()].sort(
    (a, b) =>
      a.eventTime - b.eventTime || a.sequence - b.sequence || (a.source < b.source ? -1 : 1),
  );
  const units = (price: DecimalValue) => {
    if (typeof price === "number") return BigInt(price);
    const [whole = "0", fraction = ""] = price.split(".");
    return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
  };
  const text = (value: bigint) => {
    const whole = value / 1_000_000n;
    const fraction = (value % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
    return fraction ? `${whole}.${fraction}` : `${whole}`;
  };
  let volume = 0n;
  let notional = 0n;
  for (const t of sorted) {
    volume += BigInt(t.size);
    notional += units(t.price) * BigInt(t.size);
  }
  let vwap = notional / volume;
  const remainder = (notional % volume) * 2n;
  if (remainder > volume || (remainder === volume && vwap % 2n === 1n)) vwap += 1n;
  const prices = sorted.map((t) => units(t.price));
  const ascending = [...prices].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    open: text(prices[0] as bigint),
    high: text(ascending.at(-1) as bigint),
    low: text(ascending[0] as bigint),
    close: text(prices.at(-1) as bigint),
    volume: Number(volume),
    vwap: text(vwap),
    trades: sorted.length,
  };
}

test("a minute of 60,000 trades from three sources, replayed in part and with 50 corrected, equals the plain computation", () => {
  let seed = 11;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const sources = ["alpaca", "finnhub", "sim"];
  const trades: Trade[] = Array.from({ length: 60_000 }, (_, i) => ({
    source: sources[i % 3] as string,
    // Large sequences (beyond 2^32) and many trades in one microsecond exercise the identity.
    sequence: 5_000_000_000 + Math.floor(i / 3),
    eventTime: start + Math.floor(random() * 1000) * 59_000,
    price: (100 + random() * 10).toFixed(6),
    size: 1 + (i % 997),
  }));
  const aggregate = new MinuteAggregate("AAPL", start);
  for (const t of trades) aggregate.add(t);
  for (const t of trades.slice(1000, 11_000)) aggregate.add(t);
  const corrected = trades.slice(0, 50).map((t, i) => ({ ...t, price: `${200 + i}.5`, size: 7 }));
  for (const t of corrected) aggregate.add(t);
  expect(aggregate.size).toBe(60_000);
  expect(aggregate.bar()).toMatchObject(referenceBar([...trades, ...corrected]));
});

test("a trade outside the aggregate's minute is refused, not folded", () => {
  const aggregate = new MinuteAggregate("AAPL", start);
  expect(() => aggregate.add(trade(MINUTE_US, "1", 1))).toThrow("outside the minute");
  expect(aggregate.bar()).toBeUndefined();
});

test("cancels in any order (before their trade, after it, replayed twice, with replays of the trade after the cancel) leave the bar of the surviving trades", () => {
  let seed = 5;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const trades = Array.from({ length: 300 }, (_, i) =>
    trade(Math.floor(random() * 59_000_000), (100 + random() * 10).toFixed(6), 1 + (i % 37), i),
  );
  const cancelled = new Set(trades.filter((_, i) => i % 7 === 0).map((t) => t.sequence));
  const events: Trade[] = [...trades];
  for (const t of trades) {
    if (!cancelled.has(t.sequence)) continue;
    events.push({ ...t, cancelled: true }, { ...t, cancelled: true }, { ...t });
  }
  for (let i = events.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j] as Trade, events[i] as Trade];
  }
  const aggregate = new MinuteAggregate("AAPL", start);
  const seen: number[] = [];
  for (const t of events) {
    aggregate.add(t);
    seen.push(aggregate.seen);
  }
  const surviving = trades.filter((t) => !cancelled.has(t.sequence));
  expect(aggregate.bar()).toMatchObject(referenceBar(surviving));
  expect(aggregate.trades).toBe(surviving.length);
  expect(aggregate.seen).toBe(surviving.length + 2 * cancelled.size);
  // What the minute has seen never decreases: a later view always outranks an earlier one.
  expect(seen.every((value, i) => i === 0 || value >= (seen[i - 1] as number))).toBe(true);
});

test("a cancel of a trade folded before lowers trades but raises seen; a minute whose every trade is cancelled has no bar", () => {
  const aggregate = new MinuteAggregate("AAPL", start);
  aggregate.add(trade(1, "10", 5, 1));
  aggregate.add(trade(2, "12", 5, 2));
  expect([aggregate.bar()?.trades, aggregate.seen]).toEqual([2, 2]);
  aggregate.add({ ...trade(2, "12", 5, 2), cancelled: true });
  expect(aggregate.bar()).toMatchObject({ trades: 1, close: "10", high: "10", volume: 5 });
  expect(aggregate.seen).toBe(3);
  aggregate.add({ ...trade(1, "10", 5, 1), cancelled: true });
  expect(aggregate.bar()).toBeUndefined();
  expect(aggregate.seen).toBe(4);
});

test("any decimal(18,6) price text, padded or not, folds to its exact value (fast path and parser agree)", () => {
  const price = fc.tuple(
    fc.oneof(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 18n - 1n })),
    fc.nat({ max: 6 }),
  );
  fc.assert(
    fc.property(price, ([unscaled, pad]) => {
      const canonical = formatDecimal(unscaled);
      const dot = canonical.indexOf(".");
      const decimals = dot < 0 ? 0 : canonical.length - dot - 1;
      const extra = Math.min(pad, 6 - decimals);
      const padded =
        extra > 0 ? `${canonical}${dot < 0 ? "." : ""}${"0".repeat(extra)}` : canonical;
      const bar = computeBar("AAPL", start, [trade(1, padded, 10)]);
      expect(bar?.open).toBe(canonical);
      expect(bar?.vwap).toBe(canonical);
    }),
    { numRuns: 3000, seed: 26 },
  );
  expect(() => computeBar("AAPL", start, [trade(1, "1.0000001", 1)])).toThrow("decimal(18,6)");
});

test("trades whose prices are millionths (the fast reader's) fold to the bar of the same prices as text", () => {
  const trades = fc.array(
    fc.record({
      offset: fc.integer({ min: 0, max: MINUTE_US - 1 }),
      millionths: fc.integer({ min: 1, max: 2 ** 47 - 1 }),
      size: fc.integer({ min: 1, max: 1_000_000 }),
    }),
    { minLength: 1, maxLength: 50 },
  );
  fc.assert(
    fc.property(trades, (list) => {
      const asText = list.map((t, i) => trade(t.offset, formatUnits(t.millionths), t.size, i));
      const asMillionths = list.map((t, i) => ({
        ...trade(t.offset, "0", t.size, i),
        price: t.millionths,
      }));
      // Mixed too: a minute read back from Cassandra (text) then fed the fast reader's trades.
      const mixed = list.map((_, i) => (i % 2 ? asText : asMillionths)[i] as Trade);
      const expected = computeBar("AAPL", start, asText);
      expect(computeBar("AAPL", start, asMillionths)).toEqual(expected);
      expect(computeBar("AAPL", start, mixed)).toEqual(expected);
    }),
    { numRuns: 500, seed: 26 },
  );
});
