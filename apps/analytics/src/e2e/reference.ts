/**
 * An independent recomputation of the indicators from stored 1-minute bars, written from the
 * README's definitions without the service's code: rollups by the api's own `rollup` (1d: its day
 * bars), square roots by 40 extra digits, every value recomputed from the start of its session, or
 * of its 1d window (no carried state).
 * Keys and values have the form `storedIndicators` (harness) reads.
 */
import type cassandra from "cassandra-driver";
import { rollup, type StoredBar } from "../../../api/src/market/rollup.ts";

const DAY = 86_400_000_000;
const STEPS: Record<string, number> = {
  "1m": 60_000_000,
  "5m": 300_000_000,
  "15m": 900_000_000,
  "1h": 3_600_000_000,
};

const micros = (text: string) => {
  const [whole = "0", fraction = ""] = text.replace("-", "").split(".");
  const v = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
  return text.startsWith("-") ? -v : v;
};
const show = (v: bigint) => {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(7, "0");
  const fraction = digits.slice(-6).replace(/0+$/, "");
  return `${neg ? "-" : ""}${digits.slice(0, -6)}${fraction ? `.${fraction}` : ""}`;
};
/** Half-even n/d for d > 0, written as floor + remainder comparison. */
function halfEven(n: bigint, d: bigint): bigint {
  let q = n / d;
  let r = n % d;
  if (r < 0n) {
    q -= 1n;
    r += d;
  }
  if (2n * r > d || (2n * r === d && q % 2n !== 0n)) q += 1n;
  return q;
}
function floorSqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}
/** Half-even (a + s·√m)/d with 40 guard digits; a tie is only possible when √m is exact. */
function rootHalfEven(a: bigint, s: bigint, m: bigint, d: bigint): bigint {
  const root = floorSqrt(m);
  if (root * root === m) return halfEven(a + s * root, d);
  const G = 10n ** 40n;
  const scaled = floorSqrt(m * G * G); // √m·G, floor; irrational so never exact
  const num = a * G + s * scaled + (s < 0n ? -1n : 0n); // bracket: true value lies in (num, num+1)/…
  return halfEven(num, d * G);
}

function series(
  bars: StoredBar[],
  names: string[],
  previous: Map<number, bigint>[] = [],
): Map<number, Map<string, string>> {
  const out = new Map<number, Map<string, string>>();
  const c = bars.map((b) => micros(b.close));
  bars.forEach((bar, i) => {
    const values = new Map<string, string>();
    for (const name of names) {
      const L = name === "vwapdev" ? 1 : Number(name.replace(/^[a-z]+/, ""));
      const big = BigInt(L);
      const window = (n: number) => c.slice(i - n + 1, i + 1);
      if (name.startsWith("sma") && i >= L - 1)
        values.set(
          name,
          show(
            halfEven(
              window(L).reduce((x, y) => x + y, 0n),
              big,
            ),
          ),
        );
      if (name.startsWith("ema") && i >= L - 1) {
        let e = (c[0] as bigint) * 1_000_000n;
        for (let j = 1; j <= i; j += 1)
          e = halfEven(2n * (c[j] as bigint) * 1_000_000n + (big - 1n) * e, big + 1n);
        values.set(name, show(halfEven(e, 1_000_000n)));
      }
      if (name.startsWith("rsi") && i >= L) {
        let g = 0n;
        let l = 0n;
        for (let j = 1; j <= i; j += 1) {
          const d = (c[j] as bigint) - (c[j - 1] as bigint);
          const gain = (d > 0n ? d : 0n) * 1_000_000n;
          const loss = (d < 0n ? -d : 0n) * 1_000_000n;
          if (j < L) {
            g += gain;
            l += loss;
          } else if (j === L) {
            g = halfEven(g + gain, big);
            l = halfEven(l + loss, big);
          } else {
            g = halfEven((big - 1n) * g + gain, big);
            l = halfEven((big - 1n) * l + loss, big);
          }
        }
        values.set(name, l === 0n ? "100" : show(halfEven(100_000_000n * g, g + l)));
      }
      if (name.startsWith("bb") && i >= L - 1) {
        const w = window(L);
        const sum = w.reduce((x, y) => x + y, 0n);
        const sq = w.reduce((x, y) => x + y * y, 0n);
        const m = 4n * (big * sq - sum * sum);
        values.set(
          name,
          `${show(halfEven(sum, big))}|${show(rootHalfEven(sum, -1n, m, big))}|${show(rootHalfEven(sum, 1n, m, big))}`,
        );
      }
      if (name.startsWith("rv") && !name.startsWith("rvol") && i >= L) {
        let sq = 0n;
        for (let j = i - L + 1; j <= i; j += 1) {
          const r = halfEven(
            ((c[j] as bigint) - (c[j - 1] as bigint)) * 1_000_000_000_000n,
            c[j - 1] as bigint,
          );
          sq += r * r;
        }
        values.set(name, show(rootHalfEven(0n, 1n, sq, 10_000n)));
      }
      if (name.startsWith("rvol") && previous.length >= L) {
        const offset = bar.start % DAY;
        let sum = 0n;
        for (const session of previous.slice(0, L)) sum += session.get(offset) ?? 0n;
        if (sum > 0n) values.set(name, show(halfEven(bar.volume * big * 1_000_000n, sum)));
      }
      if (name === "vwapdev") {
        let notional = 0n;
        let volume = 0n;
        for (let j = 0; j <= i; j += 1) {
          notional += micros((bars[j] as StoredBar).vwap) * (bars[j] as StoredBar).volume;
          volume += (bars[j] as StoredBar).volume;
        }
        if (volume > 0n) {
          const v = halfEven(notional, volume);
          values.set(name, show(halfEven(100_000_000n * ((c[i] as bigint) - v), v)));
        }
      }
    }
    out.set(bar.start, values);
  });
  return out;
}

/** The stored 1-minute bars of the keyspace, by symbol. */
export async function storedMinuteBars(db: cassandra.Client): Promise<Map<string, StoredBar[]>> {
  const bySymbol = new Map<string, StoredBar[]>();
  const result = await db.execute(
    "SELECT symbol, minute, CAST(open AS text) AS open, CAST(high AS text) AS high, CAST(low AS text) AS low, CAST(close AS text) AS close, volume, CAST(vwap AS text) AS vwap, trades FROM bars_1m",
    [],
    { fetchSize: 50_000 },
  );
  for (const row of result.rows) {
    const bar: StoredBar = {
      start: (row.get("minute") as Date).getTime() * 1000,
      open: row.get("open"),
      high: row.get("high"),
      low: row.get("low"),
      close: row.get("close"),
      volume: BigInt(row.get("volume").toString()),
      vwap: row.get("vwap"),
      trades: BigInt(row.get("trades").toString()),
    };
    bySymbol.set(row.get("symbol"), [...(bySymbol.get(row.get("symbol")) ?? []), bar]);
  }
  return bySymbol;
}

/** W of the 1d window (README): the longest 1d warm-up, rvol<N> counting N + 1; vwapdev is intraday. */
function dailyWindow(names: string[]): number {
  let window = 0;
  for (const name of names) {
    if (name === "vwapdev") continue;
    const L = Number(name.replace(/^[a-z]+/, ""));
    const warmup = /^(rsi|rv|rvol)\d/.test(name) ? L + 1 : L;
    window = Math.max(window, warmup);
  }
  return window;
}

/**
 * Every row the service should have stored for these bars: intraday bars all closed (final); a 1d
 * row is provisional while `nowUs` is before its day's end + `closeAfterUs`.
 */
export function expectedIndicators(
  bySymbol: Map<string, StoredBar[]>,
  names: string[],
  nowUs = Date.now() * 1000,
  closeAfterUs = 60_000_000,
): Map<string, string> {
  const expected = new Map<string, string>();
  for (const [symbol, bars] of bySymbol) {
    const days = new Map<number, StoredBar[]>();
    for (const bar of bars) {
      const day = Math.floor(bar.start / DAY) * DAY;
      days.set(day, [...(days.get(day) ?? []), bar]);
    }
    const ordered = [...days].sort(([a], [b]) => a - b);
    ordered.forEach(([, dayBars], index) => {
      for (const [interval, step] of Object.entries(STEPS)) {
        const rolled = rollup(dayBars, step);
        // Volume of each bucket of the day in the earlier sessions, newest first.
        const previous = ordered
          .slice(0, index)
          .reverse()
          .map(
            ([, earlier]) =>
              new Map(rollup(earlier, step).map((b) => [b.start % DAY, b.volume] as const)),
          );
        for (const [start, values] of series(rolled, names, previous))
          for (const [name, value] of values) {
            const [middle = value, lower = "", upper = ""] = value.split("|");
            expected.set(
              `${interval}|${symbol}|${start}|${name}`,
              `${middle}|${lower}|${upper}|final`,
            );
          }
      }
    });
    // 1d: the day bars (the api's 1d rollup) of the last W sessions up to each day, computed from
    // the first of them; rvol<N> against the N previous day bars of that window.
    const dayBars = ordered.map(([, bars]) => rollup(bars, DAY)[0] as StoredBar);
    const W = dailyWindow(names);
    const dailyNames = names.filter((name) => name !== "vwapdev");
    dayBars.forEach((bar, index) => {
      const window = dayBars.slice(Math.max(0, index - W + 1), index + 1);
      const previous = window
        .slice(0, -1)
        .reverse()
        .map((b) => new Map([[0, b.volume] as const]));
      const values = series(window, dailyNames, previous).get(bar.start) ?? new Map();
      const state = nowUs < bar.start + DAY + closeAfterUs ? "provisional" : "final";
      for (const [name, value] of values) {
        const [middle = value, lower = "", upper = ""] = value.split("|");
        expected.set(`1d|${symbol}|${bar.start}|${name}`, `${middle}|${lower}|${upper}|${state}`);
      }
    });
  }
  return expected;
}
