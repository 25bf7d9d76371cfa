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
  | { ok: true; tick: Tick; reanchored?: { from: number; to: number } }
  | { ok: false; reason: RejectReason; detail: string };

export interface QualityGateOptions {
  /** How far ahead of our clock an event time may be. */
  maxFutureMs: number;
  /** How far behind our clock an event time may be. */
  maxStalenessMs: number;
  /** Largest accepted move against the symbol's last accepted price, as a fraction (0.1 = 10 %). */
  maxPriceJump: number;
  /**
   * Consecutive ticks, each within `maxPriceJump` of the one before, that make a move beyond the
   * threshold the new anchor (the last of them is accepted). At least 2.
   */
  reanchorTicks: number;
  /**
   * Event-time span after which such a run of agreeing ticks (at least 2) re-anchors even when it
   * holds fewer than `reanchorTicks` ticks (sparse providers, a reopening after a halt).
   */
  reanchorAfterMs: number;
  /** How many recent identities are remembered for duplicate detection. */
  dedupeWindow: number;
  /**
   * A source's documented feed delay (ms), added to `maxStalenessMs` for its ticks: Alpaca's
   * `delayed_sip` is "a 15-minute delayed SIP feed", so its events are at least 15 minutes old.
   */
  feedDelayMs?: Readonly<Record<string, number>>;
}

/** How one check is made: `history` (gap recovery, backfill, replays of old files) skips the staleness gate. */
export interface GateMode {
  history?: boolean;
}

const PRICE_FIELDS = ["price", "bid", "ask"] as const;

/** Ticks that jumped away from the anchor and agree with each other, in arrival order. */
interface CandidateLevel {
  last: number;
  ticks: number;
  firstEventTime: number;
  identities: Set<string>;
}

/**
 * The data-quality gates, in order: non-positive/non-finite price, schema (a QUOTE needs at least
 * one side; a one-sided quote passes with the other side null), crossed quote, future/stale
 * timestamp (not for history), duplicate identity, price jump. Only accepted ticks update the
 * duplicate window and the anchor (the last accepted price of the source and symbol).
 *
 * A cancel (`cancelled: true`) repeats an earlier trade's identity and values: it is deduplicated
 * apart from the trade (a cancel of an accepted trade is not its duplicate), skips the staleness
 * gate (a cancel may come long after its trade) and the price-jump gate (a busted print is often
 * the outlier), and never moves the anchor.
 *
 * A tick moving more than `maxPriceJump` from the anchor is refused and starts a candidate level;
 * each next refused tick within `maxPriceJump` of the previous one extends it, one that is not
 * starts a new one, and a tick close to the anchor is accepted and discards it. The candidate
 * becomes the anchor, its latest tick accepted, once it holds `reanchorTicks` ticks, or at least
 * 2 ticks spanning `reanchorAfterMs` of event time. A lone outlier never moves the anchor.
 *
 * @example
 *   const gates = createQualityGates({ maxFutureMs: 5000, maxStalenessMs: 3_600_000, maxPriceJump: 0.1,
 *     reanchorTicks: 3, reanchorAfterMs: 60_000, dedupeWindow: 100_000 });
 *   const verdict = gates.check(candidate, Date.now() * 1000);
 *   if (!verdict.ok) stats.counter(`rejected.${verdict.reason}`).add();
 */
export function createQualityGates(options: QualityGateOptions) {
  const seen = new Set<string>();
  const anchors = new Map<string, number>();
  const candidates = new Map<string, CandidateLevel>();

  function check(candidate: unknown, nowMicros: number, mode: GateMode = {}): GateResult {
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
    const staleAfterMs = options.maxStalenessMs + (options.feedDelayMs?.[tick.source] ?? 0);
    if (!mode.history && !tick.cancelled && tick.eventTime < nowMicros - staleAfterMs * 1000) {
      return {
        ok: false,
        reason: "stale_timestamp",
        detail: `eventTime ${tick.eventTime} is older than ${staleAfterMs} ms`,
      };
    }
    const identity = tick.cancelled ? `${tickIdentity(tick)}|cancel` : tickIdentity(tick);
    if (seen.has(identity)) return { ok: false, reason: "duplicate", detail: identity };
    if (tick.cancelled) {
      remember(identity);
      return { ok: true, tick };
    }
    const key = `${tick.source}|${tick.symbol}`;
    const price = Number(tick.price);
    const anchor = anchors.get(key);
    let reanchored: { from: number; to: number } | undefined;
    if (anchor !== undefined && moved(anchor, price)) {
      const level = extendCandidate(key, price, tick.eventTime, identity);
      if (!confirmed(level, tick.eventTime)) {
        return {
          ok: false,
          reason: "price_jump",
          detail: `${tick.symbol} ${anchor} → ${tick.price} (${level.ticks} of ${options.reanchorTicks} agreeing ticks to re-anchor)`,
        };
      }
      reanchored = { from: anchor, to: price };
    }
    candidates.delete(key);
    remember(identity);
    anchors.set(key, price);
    return reanchored ? { ok: true, tick, reanchored } : { ok: true, tick };
  }

  const moved = (from: number, to: number) => Math.abs(to - from) / from > options.maxPriceJump;

  function extendCandidate(key: string, price: number, eventTime: number, identity: string) {
    const level = candidates.get(key);
    if (level && !moved(level.last, price)) {
      if (!level.identities.has(identity)) {
        level.identities.add(identity);
        level.ticks += 1;
      }
      level.last = price;
      return level;
    }
    const fresh = {
      last: price,
      ticks: 1,
      firstEventTime: eventTime,
      identities: new Set([identity]),
    };
    candidates.set(key, fresh);
    return fresh;
  }

  function confirmed(level: CandidateLevel, eventTime: number) {
    if (level.ticks >= options.reanchorTicks) return true;
    return level.ticks >= 2 && eventTime - level.firstEventTime >= options.reanchorAfterMs * 1000;
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
