/**
 * The rules Avro cannot express, per record (symbol and source patterns, positive prices, bounded
 * sizes, no timestamps beyond now + skew, consistent OHLC…), and the bounds they use. `validate`
 * runs them after the schema's own checks.
 */
import { parseDecimal, unscaledNumber } from "./decimal.ts";

/** One problem with a value; `path` is relative to the value (e.g. `price`, `bid`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Symbols are upper-case tickers such as `AAPL` or `BRK.B`. */
export const SYMBOL_PATTERN = /^[A-Z0-9.-]{1,12}$/;
/** Provider ids such as `simulator`. */
export const SOURCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Venue codes such as `XNAS` or Alpaca's `V`: printable, at most 32 characters. */
export const EXCHANGE_PATTERN = /^[\x20-\x7e]{1,32}$/;
/**
 * Largest size (shares) one tick may carry. Real prints stay far below it; it makes a minute's
 * volume overflow Avro's long (as a safe JS integer, 2^53 − 1) only after 9 million maximal trades
 * of one symbol in one minute, and the consumer dead-letters even that rather than stall.
 */
export const MAX_TICK_SIZE = 1_000_000_000;
/** How far in the future an event or ingest time may lie (clock skew between hosts). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 60_000;

/** The bounds that depend on the moment of validation. */
export interface ValidateOptions {
  /** The current time in ms since the epoch (default `Date.now()`). */
  now?: number;
  /** How far timestamps may lie beyond `now` (default {@link DEFAULT_MAX_FUTURE_SKEW_MS}). */
  maxFutureSkewMs?: number;
  /**
   * The value was just decoded from Avro bytes of this very schema, so its shape (field names and
   * types) is given; only the rules and bounds are checked, and decimals for their precision.
   */
  decodedFromAvro?: boolean;
  /**
   * With `decodedFromAvro`: every decimal is known to fit its precision (the consumer's fast reader
   * reads at most 6 bytes of a decimal(18,6): under 2^47, 15 digits), so its digits are not counted.
   * The fast reader's decimals are counts of millionths (numbers), which the rules take as such.
   */
  decimalsFit?: boolean;
}

/** Checks what Avro cannot express of one record; what it returns is never pushed to. */
export type Rule = (
  value: Record<string, unknown>,
  options: ValidateOptions,
) => readonly ValidationIssue[];

/** The rules of a record (its full name, `market.Tick`); none for a record without any. */
export function rulesFor(recordName: string): Rule {
  if (recordName === "market.Tick") return tickRules;
  if (recordName === "market.Bar") return barRules;
  return () => [];
}

/** A bar decimal's unscaled value: a safe integer when short (no BigInt), else a bigint. */
const unscaled = (text: unknown): number | bigint => {
  const short = typeof text === "string" ? unscaledNumber(text) : undefined;
  if (short !== undefined) return short;
  const parsed = parseDecimal(String(text));
  return parsed.ok ? parsed.unscaled : 0n;
};

/**
 * Whether a decimal (already checked against its schema) is above zero: a count of millionths
 * (the consumer's fast reader) above 0, or text with no sign and a non-zero digit.
 */
const isPositive = (value: unknown) =>
  typeof value === "number"
    ? value > 0
    : typeof value === "string" && !value.startsWith("-") && /[1-9]/.test(value);

/**
 * The last text each pattern accepted: a feed repeats few sources, symbols and exchanges (the fast
 * Tick reader hands back the same string for the same bytes), so most ticks skip the regex.
 */
const accepted = { source: "", symbol: "", exchange: "" };

function matches(field: keyof typeof accepted, pattern: RegExp, text: unknown): boolean {
  if (text === accepted[field] && text !== "") return true;
  if (!pattern.test(String(text))) return false;
  if (typeof text === "string") accepted[field] = text;
  return true;
}

/** Written out field by field: it runs once per tick on the consumer's and producer's hot paths. */
function tickRules(
  tick: Record<string, unknown>,
  options: ValidateOptions,
): readonly ValidationIssue[] {
  let issues: ValidationIssue[] | undefined;
  if (!matches("source", SOURCE_PATTERN, tick.source))
    issues = add(issues, "source", `must match ${SOURCE_PATTERN.source}`);
  if (!matches("symbol", SYMBOL_PATTERN, tick.symbol))
    issues = add(issues, "symbol", `must match ${SYMBOL_PATTERN.source}`);
  if (tick.exchange !== null && !matches("exchange", EXCHANGE_PATTERN, tick.exchange))
    issues = add(issues, "exchange", "must be 1 to 32 printable ASCII characters");
  const { price, bid, ask, kind } = tick;
  if (price !== null && !isPositive(price)) issues = add(issues, "price", "must be positive");
  if (bid !== null && !isPositive(bid)) issues = add(issues, "bid", "must be positive");
  if (ask !== null && !isPositive(ask)) issues = add(issues, "ask", "must be positive");
  const size = tick.size as number | null;
  const bidSize = tick.bidSize as number | null;
  const askSize = tick.askSize as number | null;
  const sequence = tick.sequence as number | null;
  if (size !== null && size < 0) issues = add(issues, "size", "must not be negative");
  if (bidSize !== null && bidSize < 0) issues = add(issues, "bidSize", "must not be negative");
  if (askSize !== null && askSize < 0) issues = add(issues, "askSize", "must not be negative");
  if (sequence !== null && sequence < 0) issues = add(issues, "sequence", "must not be negative");
  if (size !== null && size > MAX_TICK_SIZE) issues = add(issues, "size", TOO_MANY_SHARES);
  if (bidSize !== null && bidSize > MAX_TICK_SIZE) issues = add(issues, "bidSize", TOO_MANY_SHARES);
  if (askSize !== null && askSize > MAX_TICK_SIZE) issues = add(issues, "askSize", TOO_MANY_SHARES);
  const skewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const latestUs = ((options.now ?? Date.now()) + skewMs) * 1000;
  for (const field of TIME_FIELDS) {
    const micros = tick[field] as number;
    if (micros < 0) issues = add(issues, field, "must not be before 1970-01-01T00:00:00Z");
    else if (micros > latestUs)
      issues = add(
        issues,
        field,
        `must not be later than now + ${skewMs / 1000} s (clock skew allowance)`,
      );
  }
  if (kind === "TRADE" && (size as number) <= 0)
    issues = add(issues, "size", "a TRADE must have a positive size");
  if (kind === "QUOTE" && bid === null && ask === null)
    issues = add(issues, "bid", "a QUOTE must have a bid or an ask (at least one side)");
  if (kind === "QUOTE" && tick.cancelled === true)
    issues = add(issues, "cancelled", "only a TRADE can be cancelled");
  return issues ?? NO_ISSUES;
}

/** `issues` with one more, the array made on the first: a passing tick allocates nothing. */
function add(
  issues: ValidationIssue[] | undefined,
  path: string,
  message: string,
): ValidationIssue[] {
  const list = issues ?? [];
  list.push({ path, message });
  return list;
}

const TOO_MANY_SHARES = `must be at most ${MAX_TICK_SIZE.toLocaleString("en-US")} shares`;
const TIME_FIELDS = ["eventTime", "ingestTime"] as const;
/** The shared answer of a check that found nothing (never pushed to). */
const NO_ISSUES: readonly ValidationIssue[] = Object.freeze([]) as readonly ValidationIssue[];

function barRules(bar: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const fail = (path: string, message: string) => issues.push({ path, message });
  if (!SYMBOL_PATTERN.test(String(bar.symbol)))
    fail("symbol", `must match ${SYMBOL_PATTERN.source}`);
  if ((bar.end as number) <= (bar.start as number)) fail("end", "must be after start");
  const [low, high] = [unscaled(bar.low), unscaled(bar.high)];
  for (const field of ["open", "high", "low", "close", "vwap"]) {
    const price = unscaled(bar[field]);
    if (price <= 0) fail(field, "must be positive");
    else if (price < low || price > high) fail(field, "must lie between low and high");
  }
  for (const field of ["volume", "trades"]) {
    if ((bar[field] as number) < 0) fail(field, "must not be negative");
  }
  return issues;
}
