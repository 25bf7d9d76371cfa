import { parseDecimal, type Tick, tickIdentity, validate } from "@repo/contracts";

/** Why a candidate tick was refused; each is a counter under `/stats` `records.rejected`. */
export type RejectReason =
  | "schema_invalid"
  | "non_positive_price"
  | "crossed_quote"
  | "future_timestamp"
  | "stale_timestamp"
  | "duplicate"
  | "price_jump";

export type GateResult =
  | { ok: true; tick: Tick }
  | { ok: false; reason: RejectReason; detail: string };

export interface QualityGateOptions {
  /** How far ahead of our clock an event time may be. */
  maxFutureMs: number;
  /** How far behind our clock an event time may be. */
  maxStalenessMs: number;
  /** Largest accepted move against the symbol's last accepted price, as a fraction (0.1 = 10 %). */
  maxPriceJump: number;
  /** How many recent identities are remembered for duplicate detection. */
  dedupeWindow: number;
}

const PRICE_FIELDS = ["price", "bid", "ask"] as const;

/**
 * The data-quality gates, in order: non-positive/non-finite price, schema, crossed quote,
 * future/stale timestamp, duplicate identity, price jump. Only accepted ticks update the
 * duplicate window and the last accepted price.
 *
 * @example
 *   const gates = createQualityGates({ maxFutureMs: 5000, maxStalenessMs: 3_600_000, maxPriceJump: 0.1, dedupeWindow: 100_000 });
 *   const verdict = gates.check(candidate, Date.now() * 1000);
 *   if (!verdict.ok) stats.counter(`rejected.${verdict.reason}`).add();
 */
export function createQualityGates(options: QualityGateOptions) {
  const seen = new Set<string>();
  const lastPrice = new Map<string, number>();

  function check(candidate: unknown, nowMicros: number): GateResult {
    if (candidate !== null && typeof candidate === "object") {
      const record = candidate as Record<string, unknown>;
      for (const field of PRICE_FIELDS) {
        const problem = nonPositive(record[field]);
        if (problem)
          return { ok: false, reason: "non_positive_price", detail: `${field} ${problem}` };
      }
    }
    const checked = validate("Tick", candidate);
    if (!checked.ok) {
      const detail = checked.issues.map((i) => `${i.path || "(tick)"}: ${i.message}`).join("; ");
      return { ok: false, reason: "schema_invalid", detail };
    }
    const tick = checked.value;
    if (tick.bid !== null && tick.ask !== null && units(tick.bid) > units(tick.ask)) {
      return { ok: false, reason: "crossed_quote", detail: `bid ${tick.bid} > ask ${tick.ask}` };
    }
    if (tick.eventTime > nowMicros + options.maxFutureMs * 1000) {
      return {
        ok: false,
        reason: "future_timestamp",
        detail: `eventTime ${tick.eventTime} is ahead of ${nowMicros}`,
      };
    }
    if (tick.eventTime < nowMicros - options.maxStalenessMs * 1000) {
      return {
        ok: false,
        reason: "stale_timestamp",
        detail: `eventTime ${tick.eventTime} is older than ${options.maxStalenessMs} ms`,
      };
    }
    const identity = tickIdentity(tick);
    if (seen.has(identity)) return { ok: false, reason: "duplicate", detail: identity };
    const key = `${tick.source}|${tick.symbol}`;
    const price = Number(tick.price);
    const previous = lastPrice.get(key);
    if (previous !== undefined && Math.abs(price - previous) / previous > options.maxPriceJump) {
      return {
        ok: false,
        reason: "price_jump",
        detail: `${tick.symbol} ${previous} → ${tick.price}`,
      };
    }
    remember(identity);
    lastPrice.set(key, price);
    return { ok: true, tick };
  }

  function remember(identity: string) {
    seen.add(identity);
    if (seen.size > options.dedupeWindow) {
      const oldest = seen.values().next().value;
      if (oldest !== undefined) seen.delete(oldest);
    }
  }

  return { check };
}

function nonPositive(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `is not finite (${value})`;
    return value <= 0 ? `must be positive, got ${value}` : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (/^[+-]?(nan|infinity|inf)$/i.test(value.trim())) return `is not finite (${value})`;
  const parsed = parseDecimal(value);
  return parsed.ok && parsed.unscaled <= 0n ? `must be positive, got ${value}` : undefined;
}

const units = (text: string): bigint => {
  const parsed = parseDecimal(text);
  return parsed.ok ? parsed.unscaled : 0n;
};
