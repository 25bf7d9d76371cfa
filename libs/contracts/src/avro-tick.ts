import avro, { type Schema, type Type } from "avsc";
import { avroOptions, DecimalType } from "./avro.ts";
import type { Tick } from "./generated/Tick.ts";

/**
 * The Tick layout the hand-written reader below decodes, field by field in wire order. The reader
 * is used for a writer schema only when avsc finds that schema equal to this one (same Parsing
 * Canonical Form: names, order, types, decimal precision and scale), so a change to
 * `schemas/Tick.avsc` turns the fast path off instead of misreading (`apps/consumer/src/tick/fast-read.test.ts` fails
 * until this layout and the reader follow the schema).
 */
const DECIMAL = { type: "bytes", logicalType: "decimal", precision: 18, scale: 6 } as const;
const MICROS = { type: "long", logicalType: "timestamp-micros" } as const;
export const FAST_TICK_SCHEMA = {
  type: "record",
  name: "Tick",
  namespace: "market",
  fields: [
    { name: "source", type: "string" },
    { name: "symbol", type: "string" },
    { name: "kind", type: { type: "enum", name: "TickKind", symbols: ["TRADE", "QUOTE"] } },
    { name: "eventTime", type: MICROS },
    { name: "sequence", type: "long" },
    { name: "price", type: DECIMAL },
    { name: "size", type: "long" },
    { name: "bid", type: ["null", DECIMAL], default: null },
    { name: "ask", type: ["null", DECIMAL], default: null },
    { name: "bidSize", type: ["null", "long"], default: null },
    { name: "askSize", type: ["null", "long"], default: null },
    { name: "exchange", type: ["null", "string"], default: null },
    { name: "ingestTime", type: MICROS },
    { name: "cancelled", type: "boolean", default: false },
  ] satisfies { name: keyof Tick; type: unknown; default?: unknown }[],
} as const;

/**
 * What decides the values a schema's bytes decode to: record and field names in order, enum
 * symbols, union branches, decimal precision and scale (avsc's `equals` compares the Parsing
 * Canonical Form, which drops the last two). Other logical types decode as their underlying type.
 */
function layoutOf(type: Type): unknown {
  if (type instanceof DecimalType) return `decimal(${type.precision},${type.scale})`;
  const shape = type as unknown as {
    fields?: { name: string; type: Type }[];
    types?: Type[];
    symbols?: string[];
    underlyingType?: Type;
    name?: string;
  };
  if (shape.underlyingType) return layoutOf(shape.underlyingType);
  if (shape.fields) return [shape.name, shape.fields.map((f) => [f.name, layoutOf(f.type)])];
  if (shape.types) return shape.types.map(layoutOf);
  if (shape.symbols) return [shape.name, shape.symbols];
  return type.typeName;
}

const fastLayout = JSON.stringify(
  layoutOf(avro.Type.forSchema(FAST_TICK_SCHEMA as unknown as Schema, { ...avroOptions })),
);

/** Scale 6: 10^6 units per whole. */
const UNITS = 1_000_000;
/** avsc's bound on a long it reads (2^53 − 2: one below Number.MAX_SAFE_INTEGER). */
const MAX_LONG = 9_007_199_254_740_990;
/** Unscaled decimals of at most 6 bytes (|x| < 2^47) are exact in a double; longer go to avsc. */
const MAX_DECIMAL_BYTES = 6;

/** A cursor over one Avro body; `ok` turns false at the first thing the fast path does not take. */
class Cursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  ok = true;

  reset(buf: Buffer, start: number) {
    this.buf = buf;
    this.pos = start;
    this.ok = true;
  }

  /**
   * A zigzag varint with avsc's own arithmetic (the same float additions in the same order), so
   * it yields avsc's number for any bytes; an overrun or over-long varint clears `ok`.
   */
  varint(): number {
    const buf = this.buf;
    let n = 0;
    let scale = 1;
    let byte = 0;
    do {
      if (this.pos >= buf.length || scale > 2 ** 63) {
        this.ok = false;
        return 0;
      }
      byte = buf[this.pos++] as number;
      n += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return (n % 2 ? -(n + 1) : n) / 2;
  }

  /** A `long`: values avsc refuses as a "potential precision loss" clear `ok`. */
  long(): number {
    const value = this.varint();
    if (!(value >= -MAX_LONG && value <= MAX_LONG)) this.ok = false;
    return value;
  }

  /**
   * Length-prefixed UTF-8 (invalid sequences become U+FFFD, as avsc reads them). A short string
   * (a source, symbol or exchange: a feed repeats few) is the one decoded before from the same
   * bytes ({@link internedText}), so a tick allocates no string for them.
   */
  string(): string {
    const length = this.varint();
    const end = this.pos + length;
    if (!this.ok || length < 0 || end > this.buf.length) {
      this.ok = false;
      return "";
    }
    const text =
      length <= MAX_INTERNED_BYTES
        ? internedText(this.buf, this.pos, end)
        : this.buf.toString("utf8", this.pos, end);
    this.pos = end;
    return text;
  }

  /**
   * A decimal(18,6) as its count of millionths (its unscaled value: |x| < 2^47, a safe integer),
   * never formatted as text: the consumer encodes and folds it as a number.
   */
  decimal(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (!this.ok || length < 0 || length > MAX_DECIMAL_BYTES || end > this.buf.length) {
      this.ok = false;
      return 0;
    }
    let value = 0;
    for (let i = this.pos; i < end; i += 1) value = value * 256 + (this.buf[i] as number);
    if (length > 0 && ((this.buf[this.pos] as number) & 0x80) !== 0) value -= 2 ** (8 * length);
    this.pos = end;
    return value;
  }

  /** A `["null", T]` union's branch: false for null, true for T (any other index clears `ok`). */
  present(): boolean {
    const branch = this.varint();
    if (branch === 0) return false;
    if (branch !== 1) this.ok = false;
    return true;
  }
}

/** Strings up to this many bytes are interned; longer ones are decoded each time. */
const MAX_INTERNED_BYTES = 24;
/** Slots of the direct-mapped intern table (a power of two): 4,096 × ≤ 24 bytes of keys at most. */
const INTERN_SLOTS = 4096;
const internedBytes: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);
const internedTexts: string[] = new Array(INTERN_SLOTS).fill("");

/**
 * The text of `buf[start, end)` as UTF-8, the same string each time the same bytes come again
 * (while no other bytes took their slot): one table slot per FNV-1a hash of the bytes, checked
 * byte for byte, replaced on a collision. The text is `toString`'s, so it is exactly what avsc
 * reads.
 */
function internedText(buf: Buffer, start: number, end: number): string {
  let hash = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i += 1) hash = Math.imul(hash ^ (buf[i] as number), 0x01000193);
  const slot = (hash >>> 0) & (INTERN_SLOTS - 1);
  const known = internedBytes[slot];
  if (known !== undefined && known.length === end - start) {
    let same = true;
    for (let i = 0; i < known.length; i += 1) {
      if (known[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return internedTexts[slot] as string;
  }
  const text = buf.toString("utf8", start, end);
  internedBytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
  internedTexts[slot] = text;
  return text;
}

/** One cursor for every read: decoding is synchronous, so it is never shared by two at once. */
const cursor = new Cursor();

/** Canonical decimal text of a safe integer count of millionths (1250000 → "1.25"). */
export function formatUnits(units: number): string {
  const negative = units < 0;
  const abs = negative ? -units : units;
  const whole = Math.floor(abs / UNITS);
  let fraction = abs - whole * UNITS;
  const sign = negative ? "-" : "";
  if (fraction === 0) return `${sign}${whole}`;
  let digits = 6;
  while (fraction % 10 === 0) {
    fraction /= 10;
    digits -= 1;
  }
  return `${sign}${whole}.${String(fraction).padStart(digits, "0")}`;
}

/**
 * A decimal(18,6) value as the consumer carries it: its count of millionths (a safe integer: what
 * the fast reader yields, 187.25 → 187250000), or its plain text (what avsc yields, "187.25").
 */
export type DecimalValue = number | string;

/** A Tick whose decimals (price, bid, ask) are `D`; the contract's {@link Tick} is `TickOf<string>`. */
export type TickOf<D> = Omit<Tick, "price" | "bid" | "ask"> & {
  price: D;
  bid: D | null;
  ask: D | null;
};

/**
 * Reads an Avro body (from `start` to the end of `body`, e.g. after the 5-byte Confluent header)
 * written with exactly {@link FAST_TICK_SCHEMA} into the Tick avsc would produce (same fields, same
 * values), except that its decimals are counts of millionths instead of text (`formatUnits` of
 * each is avsc's text), without avsc's generic machinery, BigInt or a string per decimal. Returns
 * undefined for anything it does not take on (a truncated or trailing body, a bad union or enum
 * index, a decimal over 6 bytes, a long beyond 2^53): the caller then decodes with avsc, whose
 * answer (and error message) stays the reference.
 */
function readFastTick(body: Buffer, start = 0): TickOf<number> | undefined {
  const c = cursor;
  c.reset(body, start);
  const source = c.string();
  const symbol = c.string();
  const kindIndex = c.varint();
  const eventTime = c.long();
  const sequence = c.long();
  const price = c.decimal();
  const size = c.long();
  const bid = c.present() ? c.decimal() : null;
  const ask = c.present() ? c.decimal() : null;
  const bidSize = c.present() ? c.long() : null;
  const askSize = c.present() ? c.long() : null;
  const exchange = c.present() ? c.string() : null;
  const ingestTime = c.long();
  if (c.pos >= body.length) return undefined;
  const cancelled = body[c.pos++] !== 0;
  if (!c.ok || c.pos !== body.length || (kindIndex !== 0 && kindIndex !== 1)) return undefined;
  return {
    source,
    symbol,
    kind: kindIndex === 0 ? "TRADE" : "QUOTE",
    eventTime,
    sequence,
    price,
    size,
    bid,
    ask,
    bidSize,
    askSize,
    exchange,
    ingestTime,
    cancelled,
  };
}

/**
 * The hand-written Tick reader when `writer` is the schema it reads ({@link FAST_TICK_SCHEMA}),
 * else undefined (another version, another record): decode those with avsc. Its ticks carry their
 * decimals as counts of millionths ({@link TickOf}`<number>`).
 *
 * @example
 *   const fast = fastTickReader(writerType);
 *   const tick = fast?.(value, 5) ?? readerType.fromBuffer(value.subarray(5)); // price 187250000 or "187.25"
 */
export function fastTickReader(
  writer: Type,
): ((body: Buffer, start?: number) => TickOf<number> | undefined) | undefined {
  return JSON.stringify(layoutOf(writer)) === fastLayout ? readFastTick : undefined;
}
