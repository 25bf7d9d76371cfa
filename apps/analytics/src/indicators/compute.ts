import { divideHalfEven, MICRO, PICO_PER_MICRO, roundSqrtRatio } from "./fixed.ts";
import type { IndicatorSpec } from "./specs.ts";

/** What an indicator reads of a bar: prices in micro-units, volume in shares. */
export interface BarInput {
  close: bigint;
  /** The bar's VWAP (micro-units) and volume, for the session VWAP. */
  vwap: bigint;
  volume: bigint;
}

/** One indicator value at a bar: a level, or a band. Micro-units. */
export type IndicatorValue = { value: bigint } | { lower: bigint; middle: bigint; upper: bigint };

/**
 * What the recursive indicators carry from one bar to the next (pico-units, 1e-12): the EMA of each
 * length, the Wilder averages of gains and losses of each RSI, the session's notional and volume.
 */
export interface CarriedState {
  ema: Map<number, bigint>;
  gains: Map<number, bigint>;
  losses: Map<number, bigint>;
  notional: bigint;
  volume: bigint;
}

export const emptyState = (): CarriedState => ({
  ema: new Map(),
  gains: new Map(),
  losses: new Map(),
  notional: 0n,
  volume: 0n,
});

const clone = (state: CarriedState): CarriedState => ({
  ema: new Map(state.ema),
  gains: new Map(state.gains),
  losses: new Map(state.losses),
  notional: state.notional,
  volume: state.volume,
});

const sumCloses = (bars: readonly BarInput[], from: number, to: number) => {
  let sum = 0n;
  for (let j = from; j <= to; j += 1) sum += (bars[j] as BarInput).close;
  return sum;
};

/**
 * The indicators at bar `index` of a session's bars, from the bars up to it and the state carried
 * after bar `index − 1` (`emptyState()` at the first bar). Returns the values (an indicator still
 * warming up is absent) and the state to carry to the next bar. Definitions and roundings (c is a
 * close in micro-units, L the length, every rounding half to even):
 *
 * - `smaL` = Σc/L over the last L closes, rounded to 1e-6.
 * - `emaL`: e₀ = c₀, eᵢ = (2cᵢ + (L−1)eᵢ₋₁)/(L+1), carried rounded to 1e-12, published rounded to
 *   1e-6; first published at the L-th bar (trading-signals' seeding).
 * - `rsiL` (Wilder): gains and losses of consecutive closes; the averages start as the mean of the
 *   first L (at bar L+1) then aᵢ = ((L−1)aᵢ₋₁ + xᵢ)/L, carried rounded to 1e-12; RSI =
 *   100·G/(G+L) rounded to 1e-6, 100 when the average loss is 0.
 * - `bbL`: middle = SMA; lower/upper = (Σc ∓ 2·√(L·Σc² − (Σc)²))/L, each rounded once, exactly
 *   (population standard deviation, k = 2).
 * - `rvL` (realized volatility, percent): returns rⱼ = (cⱼ − cⱼ₋₁)/cⱼ₋₁ rounded to 1e-12, then
 *   100·√(Σr²) over the last L returns, rounded to 1e-6.
 * - `vwapdev` (percent): session VWAP V = Σ(vwap·volume)/Σvolume rounded to 1e-6 (the day rollup's
 *   VWAP of the bars so far), then 100·(c − V)/V rounded to 1e-6; absent while no volume traded.
 * - `rvolN` (relative volume): the bar's volume over the mean volume of the same bar of the day
 *   (same interval bucket) in the symbol's previous N sessions, volume·N/Σ rounded to 1e-6;
 *   `baseline(N)` gives Σ (a session without that bucket adds 0), undefined with fewer than N
 *   previous sessions; absent when Σ is 0.
 *
 * @example
 *   const { values, state } = indicatorsAt(specs, bars, 0, emptyState());
 */
export function indicatorsAt(
  specs: readonly IndicatorSpec[],
  bars: readonly BarInput[],
  index: number,
  previous: CarriedState,
  baseline: (sessions: number) => bigint | undefined = () => undefined,
): { values: Map<string, IndicatorValue>; state: CarriedState } {
  const bar = bars[index] as BarInput;
  const state = clone(previous);
  const values = new Map<string, IndicatorValue>();
  const count = index + 1;
  state.notional += bar.vwap * bar.volume;
  state.volume += bar.volume;
  const change = index > 0 ? bar.close - (bars[index - 1] as BarInput).close : 0n;
  for (const spec of specs) {
    const L = spec.length;
    const big = BigInt(L);
    switch (spec.family) {
      case "sma":
        if (count >= L)
          values.set(spec.name, {
            value: divideHalfEven(sumCloses(bars, index - L + 1, index), big),
          });
        break;
      case "ema": {
        const prior = state.ema.get(L);
        const closePico = bar.close * PICO_PER_MICRO;
        const next =
          prior === undefined
            ? closePico
            : divideHalfEven(2n * closePico + (big - 1n) * prior, big + 1n);
        state.ema.set(L, next);
        if (count >= L) values.set(spec.name, { value: divideHalfEven(next, PICO_PER_MICRO) });
        break;
      }
      case "rsi": {
        if (index === 0) break;
        const gain = (change > 0n ? change : 0n) * PICO_PER_MICRO;
        const loss = (change < 0n ? -change : 0n) * PICO_PER_MICRO;
        let avgGain: bigint | undefined;
        let avgLoss: bigint | undefined;
        if (index < L) break;
        if (index === L) {
          let gains = 0n;
          let losses = 0n;
          for (let j = 1; j <= L; j += 1) {
            const d = (bars[j] as BarInput).close - (bars[j - 1] as BarInput).close;
            if (d > 0n) gains += d;
            else losses -= d;
          }
          avgGain = divideHalfEven(gains * PICO_PER_MICRO, big);
          avgLoss = divideHalfEven(losses * PICO_PER_MICRO, big);
        } else {
          avgGain = divideHalfEven((big - 1n) * (state.gains.get(L) ?? 0n) + gain, big);
          avgLoss = divideHalfEven((big - 1n) * (state.losses.get(L) ?? 0n) + loss, big);
        }
        state.gains.set(L, avgGain);
        state.losses.set(L, avgLoss);
        values.set(spec.name, {
          value:
            avgLoss === 0n
              ? 100n * MICRO
              : divideHalfEven(100n * MICRO * avgGain, avgGain + avgLoss),
        });
        break;
      }
      case "bb": {
        if (count < L) break;
        let sum = 0n;
        let squares = 0n;
        for (let j = index - L + 1; j <= index; j += 1) {
          const c = (bars[j] as BarInput).close;
          sum += c;
          squares += c * c;
        }
        const spread = 4n * (big * squares - sum * sum);
        values.set(spec.name, {
          lower: roundSqrtRatio(sum, -1n, spread, big),
          middle: divideHalfEven(sum, big),
          upper: roundSqrtRatio(sum, 1n, spread, big),
        });
        break;
      }
      case "rv": {
        if (index < L) break;
        let squares = 0n;
        for (let j = index - L + 1; j <= index; j += 1) {
          const before = (bars[j - 1] as BarInput).close;
          const after = (bars[j] as BarInput).close;
          if (before <= 0n) {
            squares = -1n;
            break;
          }
          const r = divideHalfEven((after - before) * MICRO * PICO_PER_MICRO, before);
          squares += r * r;
        }
        // 100·√(Σr²) with r in 1e-12: micro-percent = √(Σr²)·100·1e6/1e12 = √(Σr²)/1e4.
        if (squares >= 0n)
          values.set(spec.name, { value: roundSqrtRatio(0n, 1n, squares, 10_000n) });
        break;
      }
      case "rvol": {
        const sum = baseline(L);
        if (sum !== undefined && sum > 0n)
          values.set(spec.name, { value: divideHalfEven(bar.volume * big * MICRO, sum) });
        break;
      }
      case "vwapdev": {
        if (state.volume === 0n) break;
        const vwap = divideHalfEven(state.notional, state.volume);
        if (vwap <= 0n) break;
        values.set(spec.name, { value: divideHalfEven(100n * MICRO * (bar.close - vwap), vwap) });
        break;
      }
    }
  }
  return { values, state };
}
