import { describe, expect, test } from "bun:test";
import { BollingerBands, EMA, RSI, SMA } from "trading-signals";
import { type BarInput, emptyState, type IndicatorValue, indicatorsAt } from "./compute.ts";
import { formatMicros, parseMicros } from "./fixed.ts";
import { parseIndicatorList } from "./specs.ts";

const specs = parseIndicatorList("sma5,sma20,ema5,ema12,ema26,rsi14,rsi3,bb20,bb5,rv10,vwapdev");

/** A deterministic random walk of closes with 6 decimals (and flat stretches). */
function walk(n: number, seed = 7): BarInput[] {
  const bars: BarInput[] = [];
  let price = 100_000_000n;
  let s = seed;
  for (let i = 0; i < n; i += 1) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const step = BigInt((s % 400_001) - 200_000);
    if (i % 9 !== 4) price += step;
    bars.push({ close: price, vwap: price - 1234n, volume: BigInt(100 + (s % 900)) });
  }
  return bars;
}

function run(bars: BarInput[]) {
  let state = emptyState();
  return bars.map((_, index) => {
    const result = indicatorsAt(specs, bars, index, state);
    state = result.state;
    return result.values;
  });
}

const level = (v: IndicatorValue | undefined) => (v && "value" in v ? v.value : undefined);
const micros = (n: number) => Math.round(n * 1e6);

describe("indicators agree with trading-signals within 1e-6 where both are defined", () => {
  const bars = walk(400);
  const ours = run(bars);
  const closes = bars.map((b) => Number(formatMicros(b.close)));

  test.each([
    ["sma5", () => new SMA(5)],
    ["sma20", () => new SMA(20)],
    ["ema5", () => new EMA(5)],
    ["ema12", () => new EMA(12)],
    ["ema26", () => new EMA(26)],
    ["rsi14", () => new RSI(14)],
    ["rsi3", () => new RSI(3)],
  ] as const)("%s", (name, make) => {
    const reference = make();
    let compared = 0;
    closes.forEach((close, i) => {
      reference.update(close, false);
      const theirs = reference.isStable ? Number(reference.getResultOrThrow()) : undefined;
      const mine = level(ours[i]?.get(name));
      expect(mine === undefined, `${name} warm at bar ${i}`).toBe(theirs === undefined);
      if (mine === undefined || theirs === undefined) return;
      expect(Math.abs(Number(mine) - micros(theirs))).toBeLessThanOrEqual(1);
      compared += 1;
    });
    expect(compared).toBeGreaterThan(350);
  });

  test.each([
    ["bb20", 20],
    ["bb5", 5],
  ] as const)("%s (lower, middle, upper)", (name, length) => {
    const reference = new BollingerBands(length, 2);
    let compared = 0;
    closes.forEach((close, i) => {
      reference.update(close, false);
      const theirs = reference.isStable ? reference.getResultOrThrow() : undefined;
      const mine = ours[i]?.get(name);
      expect(mine === undefined).toBe(theirs === undefined);
      if (!mine || !theirs || !("middle" in mine)) return;
      expect(Math.abs(Number(mine.lower) - micros(Number(theirs.lower)))).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(mine.middle) - micros(Number(theirs.middle)))).toBeLessThanOrEqual(1);
      expect(Math.abs(Number(mine.upper) - micros(Number(theirs.upper)))).toBeLessThanOrEqual(1);
      compared += 1;
    });
    expect(compared).toBeGreaterThan(370);
  });
});

describe("exact values with the declared rounding", () => {
  const bars = ["10", "11", "12", "11", "13", "12.5"].map((c) => ({
    close: parseMicros(c),
    vwap: parseMicros(c),
    volume: 100n,
  }));
  const values = run(bars);
  const at = (i: number, name: string) => {
    const v = values[i]?.get(name);
    if (!v) return undefined;
    return "value" in v ? formatMicros(v.value) : [v.lower, v.middle, v.upper].map(formatMicros);
  };

  test("SMA is the mean rounded half to even at 1e-6, absent before its length", () => {
    expect(at(3, "sma5")).toBeUndefined();
    expect(at(4, "sma5")).toBe("11.4");
    expect(at(5, "sma5")).toBe("11.9");
  });

  test("EMA seeds with the first close and is first reported at its length", () => {
    // e = 10, 10.333333333333, 10.888888888889, 10.925925925926, 11.617283950617 (5th: reported)
    expect(at(3, "ema5")).toBeUndefined();
    expect(at(4, "ema5")).toBe("11.617284");
    // (2·12.5 + 4·11.617283950617)/6 = 11.911522633745
    expect(at(5, "ema5")).toBe("11.911523");
  });

  test("RSI (Wilder) starts at bar length + 1 with the mean gain and loss", () => {
    // rsi3: changes +1 +1 −1 → G = 2/3, L = 1/3 → 66.666667; then +2: G = (2·2/3 + 2)/3, L = 2/9 → 83.333333
    expect(at(2, "rsi3")).toBeUndefined();
    expect(at(3, "rsi3")).toBe("66.666667");
    expect(at(4, "rsi3")).toBe("83.333333");
  });

  test("Bollinger bands are (Σc ∓ 2√(LΣc² − (Σc)²))/L rounded once", () => {
    // closes 10 11 12 11 13: mean 11.4, population σ = √1.04 = 1.019803902718…
    expect(at(4, "bb5")).toEqual(["9.360392", "11.4", "13.439608"]);
  });

  test("VWAP deviation is against the session VWAP of the bars so far", () => {
    // session VWAP after 2 bars = 10.5; close 11 → +4.761905 %
    expect(at(1, "vwapdev")).toBe("4.761905");
    expect(at(0, "vwapdev")).toBe("0");
  });

  test("realized volatility is 100·√Σr² of simple returns over its length", () => {
    const closes = ["100", "101", "100", "100", "100", "100", "100", "100", "100", "100", "100"];
    const rv = run(
      closes.map((c) => ({ close: parseMicros(c), vwap: parseMicros(c), volume: 1n })),
    );
    // r = 0.01 and −1/101 → −0.009900990099 (1e-12); 100·√(Σr²) = 1.407229920590…
    expect(rv[9]?.get("rv10")).toBeUndefined();
    expect(rv[10]?.get("rv10")).toEqual({ value: 1_407_230n });
  });

  test("relative volume is volume·N over the same bar's volume in the previous N sessions", () => {
    const rvol = parseIndicatorList("rvol3");
    const bar = { close: 1n, vwap: 1n, volume: 700n };
    // previous sessions traded 100 + 400 + 0 at this minute: 700·3/500 = 4.2
    expect(
      indicatorsAt(rvol, [bar], 0, emptyState(), (n) => (n === 3 ? 500n : undefined)).values.get(
        "rvol3",
      ),
    ).toEqual({ value: 4_200_000n });
    // fewer than 3 previous sessions, or none traded at this minute: no value
    expect(indicatorsAt(rvol, [bar], 0, emptyState(), () => undefined).values.has("rvol3")).toBe(
      false,
    );
    expect(indicatorsAt(rvol, [bar], 0, emptyState(), () => 0n).values.has("rvol3")).toBe(false);
  });
});
