/** The indicator families, each named `<family><length>` (`sma20`, `bb20`) or `vwapdev`. */
export type IndicatorFamily = "sma" | "ema" | "rsi" | "bb" | "rv" | "rvol" | "vwapdev";

export interface IndicatorSpec {
  /** As asked and stored: `sma20`, `ema50`, `rsi14`, `bb20`, `rv20`, `rvol20`, `vwapdev`. */
  name: string;
  family: IndicatorFamily;
  /** Length in bars (1 for `vwapdev`); for `rvol`, in previous sessions. */
  length: number;
  /** Bars of a session needed before the first value (the warm-up); `rvol` needs `length` previous sessions instead. */
  warmup: number;
}

const NAME = /^(sma|ema|rsi|bb|rvol|rv)([1-9]\d{0,2})$|^vwapdev$/;
/** Most previous sessions a relative volume may average over. */
export const MAX_SESSIONS = 60;
/** Longest length an indicator may have (bars). */
export const MAX_LENGTH = 500;

/**
 * The spec of an indicator name, or why it is not one.
 *
 * Warm-ups: SMA, EMA and Bollinger need `length` bars; RSI and realized volatility need
 * `length` changes, so `length + 1` bars; VWAP deviation one bar with volume; relative volume
 * `length` previous sessions of the symbol.
 *
 * @example
 *   parseIndicator("rsi14"); // { ok: true, spec: { name: "rsi14", family: "rsi", length: 14, warmup: 15 } }
 */
export function parseIndicator(
  name: string,
): { ok: true; spec: IndicatorSpec } | { ok: false; message: string } {
  const match = NAME.exec(name);
  if (!match)
    return {
      ok: false,
      message: `${JSON.stringify(name.slice(0, 32))} is not an indicator: expected sma<N>, ema<N>, rsi<N>, bb<N>, rv<N>, rvol<N> or vwapdev`,
    };
  if (name === "vwapdev")
    return { ok: true, spec: { name, family: "vwapdev", length: 1, warmup: 1 } };
  const family = match[1] as IndicatorFamily;
  const length = Number(match[2]);
  if (length > MAX_LENGTH) return { ok: false, message: `${name}: length above ${MAX_LENGTH}` };
  if (family === "rvol") {
    if (length > MAX_SESSIONS)
      return { ok: false, message: `${name}: more than ${MAX_SESSIONS} sessions` };
    return { ok: true, spec: { name, family, length, warmup: 1 } };
  }
  if ((family === "rsi" || family === "rv" || family === "bb") && length < 2)
    return { ok: false, message: `${name}: ${family} needs a length of at least 2` };
  const warmup = family === "rsi" || family === "rv" ? length + 1 : length;
  return { ok: true, spec: { name, family, length, warmup } };
}

/**
 * Parses a comma-separated list (ANALYTICS_INDICATORS), refusing unknown names and duplicates.
 *
 * @example
 *   parseIndicatorList("sma20, ema12,rsi14").map((s) => s.name); // ["sma20", "ema12", "rsi14"]
 */
export function parseIndicatorList(text: string): IndicatorSpec[] {
  const specs: IndicatorSpec[] = [];
  for (const raw of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const parsed = parseIndicator(raw);
    if (!parsed.ok) throw new RangeError(parsed.message);
    if (specs.some((spec) => spec.name === raw)) throw new RangeError(`${raw} is listed twice`);
    specs.push(parsed.spec);
  }
  return specs;
}
