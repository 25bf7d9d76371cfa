import { describe, expect, test } from "bun:test";
import { parseIndicatorList } from "../indicators/specs.ts";
import { createSessionBook, dayOf, type IndicatorRow } from "./book.ts";
import { INTERVALS, type MinuteBar } from "./rollup.ts";

const specs = parseIndicatorList("sma5,ema5,rsi3,bb5,rv3,vwapdev,rvol2");
const DAY = dayOf(1_700_000_000_000_000);
const minute = (i: number) => DAY + 9 * 3_600_000_000 + i * INTERVALS["1m"];

function bar(i: number, close: number, trades = 1): MinuteBar {
  const c = BigInt(close) * 1000n;
  return {
    start: minute(i),
    open: c,
    high: c + 5n,
    low: c - 5n,
    close: c,
    volume: BigInt(10 * trades),
    vwap: c,
    trades: BigInt(trades),
  };
}

const keyOf = (r: IndicatorRow) => `${r.interval}|${r.start}|${r.name}`;
const collect = (into: Map<string, IndicatorRow>, rows: IndicatorRow[]) => {
  for (const row of rows) into.set(keyOf(row), row);
};
const closedBook = () =>
  createSessionBook(specs, { closeAfterUs: 0, nowUs: () => DAY + 2 * 86_400_000_000 });

describe("session book", () => {
  const finals = Array.from({ length: 90 }, (_, i) =>
    bar(i, 100_000 + ((i * 7919) % 300) - 150, 3),
  );

  test("any order of versions ends with exactly the rows computed from the final bars", () => {
    const reference = new Map<string, IndicatorRow>();
    collect(reference, closedBook().load("X", DAY, finals));

    const book = closedBook();
    const seen = new Map<string, IndicatorRow>();
    collect(seen, book.load("X", DAY, []));
    // Every minute arrives as versions 1..3 (a version 2 again after 3: stale), in a scrambled order.
    const versions: MinuteBar[] = [];
    for (const final of finals)
      for (const trades of [1, 2, 3, 2])
        versions.push({
          ...final,
          close: final.close + BigInt(3 - trades),
          trades: BigInt(trades),
        });
    const order = versions.map((_, i) => (i * 37) % versions.length);
    for (const i of order) collect(seen, book.apply("X", versions[i] as MinuteBar).rows);
    expect(seen.size).toBe(reference.size);
    for (const [key, row] of reference) expect(seen.get(key), key).toEqual(row);
  });

  test("a revised closed minute rewrites only the rows at and after its buckets", () => {
    const book = closedBook();
    book.load("X", DAY, finals);
    const revised = { ...(finals[40] as MinuteBar), close: 99_000_000n, trades: 4n };
    const { accepted, rows } = book.apply("X", revised);
    expect(accepted).toBe(true);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const bucket = Math.floor(minute(40) / INTERVALS[row.interval]) * INTERVALS[row.interval];
      expect(row.start).toBeGreaterThanOrEqual(bucket);
    }
    // Exactly the rows whose value changed: compare with a recomputation from the revised bars.
    const before = new Map<string, IndicatorRow>();
    collect(before, closedBook().load("X", DAY, finals));
    const after = new Map<string, IndicatorRow>();
    collect(
      after,
      closedBook().load(
        "X",
        DAY,
        finals.map((b, i) => (i === 40 ? revised : b)),
      ),
    );
    const changed = [...after].filter(
      ([key, row]) => JSON.stringify(before.get(key), big) !== JSON.stringify(row, big),
    );
    expect(rows.map(keyOf).sort()).toEqual(changed.map(([key]) => key).sort());
    // An older version of it changes nothing.
    expect(book.apply("X", finals[40] as MinuteBar)).toEqual({ accepted: false, rows: [] });
    expect(book.apply("X", revised)).toEqual({ accepted: false, same: true, rows: [] });
  });

  test("the open bar is provisional and becomes final when the next bar opens or time closes it", () => {
    let now = minute(2) + 1;
    const book = createSessionBook(parseIndicatorList("sma2"), {
      closeAfterUs: 60_000_000,
      nowUs: () => now,
    });
    book.load("X", DAY, []);
    book.apply("X", bar(0, 100));
    const first = book.apply("X", bar(1, 102)).rows.filter((r) => r.interval === "1m");
    expect(first).toEqual([
      expect.objectContaining({ start: minute(1), provisional: true, value: { value: 101_000n } }),
    ]);
    const second = book.apply("X", bar(2, 104)).rows.filter((r) => r.interval === "1m");
    expect(second.map((r) => [r.start, r.provisional])).toEqual([
      [minute(1), false],
      [minute(2), true],
    ]);
    now = minute(4) + 1;
    expect(
      book
        .closeDue()
        .filter((r) => r.interval === "1m")
        .map((r) => [r.start, r.provisional]),
    ).toEqual([[minute(2), false]]);
    expect(book.closeDue()).toEqual([]);
  });
});

describe("relative volume in the book", () => {
  test("compares each bar with the same bar of the day in the previous sessions, per interval", () => {
    const book = closedBook();
    const DAYUS = 86_400_000_000;
    const at = (day: number, i: number, volume: bigint): MinuteBar => ({
      ...bar(i, 100_000),
      start: minute(i) - day * DAYUS,
      volume,
    });
    const yesterday = [at(1, 0, 100n), at(1, 1, 300n)];
    const twoDaysAgo = [at(2, 0, 300n)];
    const rows = book.load(
      "X",
      DAY,
      [at(0, 0, 400n), at(0, 1, 150n), at(0, 2, 10n)],
      [yesterday, twoDaysAgo],
    );
    const value = (interval: string, i: number) =>
      rows.find(
        (r) =>
          r.name === "rvol2" &&
          r.interval === interval &&
          r.start ===
            Math.floor(minute(i) / INTERVALS[interval as "1m"]) * INTERVALS[interval as "1m"],
      )?.value;
    expect(value("1m", 0)).toEqual({ value: 2_000_000n }); // 400·2/(100+300)
    expect(value("1m", 1)).toEqual({ value: 1_000_000n }); // 150·2/(300+0)
    expect(value("1m", 2)).toBeUndefined(); // nobody traded at 9:02 before
    expect(value("5m", 0)).toEqual({ value: 1_600_000n }); // (400+150+10)·2/((100+300)+300)
  });
});

function big(_key: string, value: unknown) {
  return typeof value === "bigint" ? value.toString() : value;
}
