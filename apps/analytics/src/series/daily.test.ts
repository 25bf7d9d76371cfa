import { describe, expect, test } from "bun:test";
import { parseIndicatorList } from "../indicators/specs.ts";
import { createSessionBook, dayOf, type IndicatorRow } from "./book.ts";
import { dailyWindow, historySessions } from "./daily.ts";
import { DAY_US, INTERVALS, type MinuteBar } from "./rollup.ts";

const specs = parseIndicatorList("sma3,ema3,rsi2,rvol2,vwapdev");
const DAY = dayOf(1_700_000_000_000_000);

/** Two minutes of a session `back` days before DAY, closing at `closes` (whole units), volume `volume` each. */
function session(back: number, closes: [number, number], volume: number): MinuteBar[] {
  return closes.map((close, i) => {
    const c = BigInt(close) * 1_000_000n;
    return {
      start: DAY - back * DAY_US + 14 * 3_600_000_000 + i * INTERVALS["1m"],
      open: c,
      high: c,
      low: c,
      close: c,
      volume: BigInt(volume),
      vwap: c,
      trades: 1n,
    };
  });
}

const daily = (rows: IndicatorRow[]) =>
  Object.fromEntries(
    rows
      .filter((r) => r.interval === "1d")
      .map((r) => [r.name, { ...r.value, provisional: r.provisional, start: r.start }]),
  );

describe("1d indicators", () => {
  test("W is the longest 1d warm-up (rvol<N> counts N + 1); loading reads W − 1 earlier sessions", () => {
    expect(dailyWindow(specs)).toBe(3);
    expect(historySessions(specs)).toBe(2);
    expect(historySessions(parseIndicatorList("sma50,rvol20,vwapdev"))).toBe(49);
  });

  test("a day's values come from the day bars of its last W sessions, EMA and RSI seeded at the first; provisional until the day closes", () => {
    // Earlier sessions, newest first: closes 11, 12, 9 (the oldest is outside W = 3).
    const earlier = [session(1, [10, 11], 300), session(3, [13, 12], 100), session(4, [1, 9], 7)];
    const today = session(0, [14, 16], 200);
    const open = createSessionBook(specs, { closeAfterUs: 0, nowUs: () => DAY + 3_600_000_000 });
    expect(daily(open.load("X", DAY, today, earlier))).toEqual({
      // (12 + 11 + 16) / 3
      sma3: { value: 13_000_000n, provisional: true, start: DAY },
      // e₀ = 12, e₁ = (2·11 + 2·12)/4 = 11.5, e₂ = (2·16 + 2·11.5)/4 = 13.75
      ema3: { value: 13_750_000n, provisional: true, start: DAY },
      // changes −1, +5: G = 2.5, L = 0.5 → 100·2.5/3
      rsi2: { value: 83_333_333n, provisional: true, start: DAY },
      // day volume 400 against (600 + 200)/2
      rvol2: { value: 1_000_000n, provisional: true, start: DAY },
    });
    const closed = createSessionBook(specs, { closeAfterUs: 0, nowUs: () => DAY + DAY_US });
    const rows = daily(closed.load("X", DAY, today, earlier));
    expect(Object.values(rows).every((r) => r.provisional === false)).toBe(true);
    // A later minute of the day moves its 1d row (and only its close-driven values).
    const revised = closed.apply("X", {
      ...(today[1] as MinuteBar),
      close: 19_000_000n,
      trades: 2n,
    });
    expect(daily(revised.rows).sma3).toMatchObject({ value: 14_000_000n });
    expect(daily(revised.rows).rvol2).toBeUndefined();
  });

  test("with fewer earlier sessions than W − 1 the window starts at the first one and only warm values appear", () => {
    const book = createSessionBook(specs, { closeAfterUs: 0, nowUs: () => DAY + DAY_US });
    const rows = daily(book.load("X", DAY, session(0, [14, 16], 200), [session(1, [10, 11], 300)]));
    expect(Object.keys(rows)).toEqual([]);
  });
});

test("a revised earlier day held in memory rewrites the 1d rows of the later days whose windows hold it", () => {
  const book = createSessionBook(specs, { closeAfterUs: 0, nowUs: () => DAY + 3_600_000_000 });
  const yesterday = session(1, [10, 11], 300);
  const older = [session(3, [13, 12], 100), session(4, [1, 9], 7)];
  book.load("X", DAY - DAY_US, yesterday, older);
  book.load("X", DAY, session(0, [14, 16], 200), [yesterday, ...older]);
  // Yesterday's last minute revised (a late trade): its close 11 → 17.
  const { rows } = book.apply("X", {
    ...(yesterday[1] as MinuteBar),
    close: 17_000_000n,
    trades: 2n,
  });
  const today = rows.filter((r) => r.interval === "1d" && r.start === DAY);
  // (12 + 17 + 16) / 3
  expect(today.find((r) => r.name === "sma3")?.value).toEqual({ value: 15_000_000n });
  expect(today.every((r) => r.provisional)).toBe(true);
  expect(rows.some((r) => r.interval === "1d" && r.start === DAY - DAY_US)).toBe(true);
});
