import type { Schema, Type } from "avsc";
import { avroTypeOf, DecimalType, describe } from "./avro.ts";
import { parseDecimal, unscaledNumber } from "./decimal.ts";
import type { Bar } from "./generated/Bar.ts";
import type { Tick } from "./generated/Tick.ts";
import { topics } from "./topics.ts";

/** One problem with a value; `path` is relative to the value (e.g. `price`, `bid`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** A checked value, or every problem found with it. */
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Record names and the topics whose value they are. */
export interface RecordTypes {
  Tick: Tick;
  Bar: Bar;
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
}

type Rule = (
  value: Record<string, unknown>,
  options: ValidateOptions,
) => readonly ValidationIssue[];

/** A record schema with its avsc type and the rules Avro cannot express. */
export interface RecordContract {
  name: string;
  schema: Schema;
  type: Type;
  rules: Rule;
}

const contracts = new Map<string, RecordContract>();
for (const topic of topics) {
  if (topic.value === "bytes") continue;
  const { schema } = topic.value;
  const { name: shortName, namespace } = schema as { name: string; namespace?: string };
  const name = namespace ? `${namespace}.${shortName}` : shortName;
  const contract = contracts.get(name) ?? {
    name,
    schema,
    type: avroTypeOf(schema),
    rules: rulesFor(name),
  };
  contracts.set(name, contract);
  contracts.set(shortName, contract);
  contracts.set(topic.name, contract);
}

/** The record contract for a topic name (`market.ticks`) or a record name (`Tick`). */
export function recordContract(topicOrType: string): RecordContract {
  const contract = contracts.get(topicOrType);
  if (!contract) {
    const known = [...contracts.keys()].join(", ");
    throw new Error(`no Avro record for ${JSON.stringify(topicOrType)}; known: ${known}`);
  }
  return contract;
}

/**
 * Checks a value in its Avro shape (decimals as strings, timestamps as micros) against the
 * schema (with field paths) and against the rules Avro cannot express (symbol pattern,
 * positive prices, bounded sizes and strings, no timestamps beyond now + skew, consistent OHLC...).
 * The one validator of the product: the producer, the consumer and ingest all call it.
 *
 * @example
 *   const result = validate("Tick", tick, { maxFutureSkewMs: 60_000 });
 *   if (!result.ok) result.issues; // [{ path: "eventTime", message: "must not be later than …" }]
 */
export function validate<K extends keyof RecordTypes>(
  type: K,
  value: unknown,
  options?: ValidateOptions,
): Validation<RecordTypes[K]>;
export function validate(
  topicOrType: string,
  value: unknown,
  options?: ValidateOptions,
): Validation<unknown>;
export function validate(
  topicOrType: string,
  value: unknown,
  options: ValidateOptions = {},
): Validation<unknown> {
  const contract = recordContract(topicOrType);
  const shape = options.decodedFromAvro
    ? decimalIssues(contract.type, value as Record<string, unknown>)
    : shapeIssues(contract.type, value);
  const issues =
    shape.length === 0 ? contract.rules(value as Record<string, unknown>, options) : shape;
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues: [...issues] };
}

/** Problems with a tick in its Avro shape; empty when it is valid. */
export function validateTick(value: unknown, options?: ValidateOptions): ValidationIssue[] {
  const result = validate("Tick", value, options);
  return result.ok ? [] : result.issues;
}

/** Problems with a bar in its Avro shape; empty when it is valid. */
export function validateBar(value: unknown): ValidationIssue[] {
  const result = validate("Bar", value);
  return result.ok ? [] : result.issues;
}

function shapeIssues(type: Type, value: unknown): ValidationIssue[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [{ path: "", message: `expected a record, got ${describe(value)}` }];
  }
  const fields = new Set(
    (type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name),
  );
  const issues = Object.keys(value)
    .filter((key) => !fields.has(key))
    .map((key) => ({ path: key, message: "is not a field of this record" }));
  type.isValid(value, {
    errorHook: (path, found, fieldType) => {
      issues.push({ path: formatPath(path), message: mismatch(fieldType, found) });
    },
  });
  return issues;
}

/**
 * Decimals read from Avro bytes can carry more digits than the schema's precision allows (their
 * scale is the schema's by construction). Counting digits settles the usual case; only a value
 * with too many is parsed, for the message.
 */
function decimalIssues(type: Type, value: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { name, decimal } of decimalFields(type)) {
    const text = value[name];
    if (text === null || text === undefined) continue;
    if (typeof text === "string" && significantDigits(text) <= decimal.precision) continue;
    const problem = decimal.problem(text);
    if (problem) issues.push({ path: name, message: problem });
  }
  return issues;
}

/** Digits of a plain decimal string, without sign, point or leading zeros ("-0012.50" → 4). */
function significantDigits(text: string): number {
  let count = 0;
  let leading = true;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    if (leading && code === 48) continue;
    leading = false;
    count += 1;
  }
  return count;
}

const decimalFieldCache = new WeakMap<Type, { name: string; decimal: DecimalType }[]>();
function decimalFields(type: Type) {
  let found = decimalFieldCache.get(type);
  if (!found) {
    found = [];
    for (const field of (type as unknown as { fields: { name: string; type: Type }[] }).fields) {
      const branches = (field.type as { types?: Type[] }).types ?? [field.type];
      const decimal = branches.find((branch) => branch instanceof DecimalType);
      if (decimal) found.push({ name: field.name, decimal: decimal as DecimalType });
    }
    decimalFieldCache.set(type, found);
  }
  return found;
}

/** `["records", "3", "price"]` → `records[3].price`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === "number" || /^\d+$/.test(part)) return `${text}[${part}]`;
    return text === "" ? part : `${text}.${part}`;
  }, "");
}

function mismatch(type: Type, found: unknown): string {
  if (found === undefined) return "is required";
  if (type instanceof DecimalType) return type.problem(found) ?? "invalid decimal";
  const branches = (type as { types?: Type[] }).types;
  if (branches) {
    const other = branches.find((branch) => branch.typeName !== "null");
    if (branches.length === 2 && other) {
      const detail = other instanceof DecimalType ? other.problem(found) : undefined;
      return detail ?? `expected null or ${expected(other)}, got ${describe(found)}`;
    }
  }
  return `expected ${expected(type)}, got ${describe(found)}`;
}

function expected(type: Type): string {
  const symbols = (type as { symbols?: string[] }).symbols;
  if (symbols) return `one of ${symbols.join(", ")}`;
  if (type.typeName === "long" || type.typeName === "int") return "an integer";
  if (type.typeName === "double" || type.typeName === "float") return "a number";
  return `a ${type.typeName}`;
}

function rulesFor(recordName: string): Rule {
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

/** Whether a decimal string (already checked against its schema) is above zero: no sign, a non-zero digit. */
const isPositive = (text: unknown) =>
  typeof text === "string" && !text.startsWith("-") && /[1-9]/.test(text);

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
  const fail = (path: string, message: string) => {
    issues ??= [];
    issues.push({ path, message });
  };
  if (!matches("source", SOURCE_PATTERN, tick.source))
    fail("source", `must match ${SOURCE_PATTERN.source}`);
  if (!matches("symbol", SYMBOL_PATTERN, tick.symbol))
    fail("symbol", `must match ${SYMBOL_PATTERN.source}`);
  if (tick.exchange !== null && !matches("exchange", EXCHANGE_PATTERN, tick.exchange))
    fail("exchange", "must be 1 to 32 printable ASCII characters");
  const { price, bid, ask, kind } = tick;
  if (price !== null && !isPositive(price)) fail("price", "must be positive");
  if (bid !== null && !isPositive(bid)) fail("bid", "must be positive");
  if (ask !== null && !isPositive(ask)) fail("ask", "must be positive");
  const size = tick.size as number | null;
  const bidSize = tick.bidSize as number | null;
  const askSize = tick.askSize as number | null;
  const sequence = tick.sequence as number | null;
  if (size !== null && size < 0) fail("size", "must not be negative");
  if (bidSize !== null && bidSize < 0) fail("bidSize", "must not be negative");
  if (askSize !== null && askSize < 0) fail("askSize", "must not be negative");
  if (sequence !== null && sequence < 0) fail("sequence", "must not be negative");
  if (size !== null && size > MAX_TICK_SIZE) fail("size", TOO_MANY_SHARES);
  if (bidSize !== null && bidSize > MAX_TICK_SIZE) fail("bidSize", TOO_MANY_SHARES);
  if (askSize !== null && askSize > MAX_TICK_SIZE) fail("askSize", TOO_MANY_SHARES);
  const skewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const latestUs = ((options.now ?? Date.now()) + skewMs) * 1000;
  for (const field of TIME_FIELDS) {
    const micros = tick[field] as number;
    if (micros < 0) fail(field, "must not be before 1970-01-01T00:00:00Z");
    else if (micros > latestUs)
      fail(field, `must not be later than now + ${skewMs / 1000} s (clock skew allowance)`);
  }
  if (kind === "TRADE" && (size as number) <= 0) fail("size", "a TRADE must have a positive size");
  if (kind === "QUOTE" && bid === null && ask === null)
    fail("bid", "a QUOTE must have a bid or an ask (at least one side)");
  if (kind === "QUOTE" && tick.cancelled === true)
    fail("cancelled", "only a TRADE can be cancelled");
  return issues ?? NO_ISSUES;
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
