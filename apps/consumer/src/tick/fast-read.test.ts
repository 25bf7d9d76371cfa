import { expect, test } from "bun:test";
import {
  avroTypeOf,
  FAST_TICK_SCHEMA,
  fastTickReader,
  formatDecimal,
  formatUnits,
  parseDecimal,
  type Tick,
  type TickOf,
  topicNamed,
} from "@repo/contracts";
import avro, { type Schema } from "avsc";
import fc from "fast-check";

const spec = topicNamed("market.ticks").value;
if (spec === "bytes") throw new Error("market.ticks must carry an Avro value");
/** The schema file (schemas/Tick.avsc) as the registry gets it. */
const tickType = avroTypeOf(spec.schema as Schema);
const read = fastTickReader(tickType);

test("the hand-written reader's layout is schemas/Tick.avsc: same fields, order, types", () => {
  expect(read).toBeDefined();
  const fields = (spec.schema as { fields: { name: string }[] }).fields.map((f) => f.name);
  expect(FAST_TICK_SCHEMA.fields.map((f): string => f.name)).toEqual(fields);
});

test("another writer schema (an older version, another record) gets no fast reader", () => {
  const withoutCancelled = {
    ...FAST_TICK_SCHEMA,
    fields: FAST_TICK_SCHEMA.fields.filter((f) => f.name !== "cancelled"),
  };
  expect(fastTickReader(avroTypeOf(withoutCancelled as unknown as Schema))).toBeUndefined();
  const widerScale = {
    ...FAST_TICK_SCHEMA,
    fields: FAST_TICK_SCHEMA.fields.map((f) =>
      f.name === "price"
        ? {
            name: "price",
            type: { type: "bytes", logicalType: "decimal", precision: 18, scale: 8 },
          }
        : f,
    ),
  };
  expect(fastTickReader(avroTypeOf(widerScale as unknown as Schema))).toBeUndefined();
  expect(fastTickReader(avro.Type.forSchema("string"))).toBeUndefined();
});

test("formatUnits is formatDecimal for every safe count of millionths", () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (units) => {
      expect(formatUnits(units)).toBe(formatDecimal(BigInt(units)));
    }),
    { numRuns: 3000, seed: 26 },
  );
});

/** Unscaled decimal(18,6) values, small and up to the 18-digit limit (those go to avsc). */
const decimal = fc
  .oneof(
    fc.bigInt({ min: -(2n ** 47n), max: 2n ** 47n - 1n }),
    fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }),
    fc.constantFrom(0n, 1n, -1n, 127n, 128n, -128n, -129n, 2n ** 47n - 1n, -(2n ** 47n)),
  )
  .map((unscaled) => formatDecimal(unscaled));
/** Longs avsc writes: |n| ≤ 2^53 − 2. */
const MAX_LONG = Number.MAX_SAFE_INTEGER - 1;
const long = fc.oneof(
  fc.integer({ min: -MAX_LONG, max: MAX_LONG }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, MAX_LONG, -MAX_LONG),
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 8 }));
const tick: fc.Arbitrary<Tick> = fc.record({
  source: text,
  symbol: text,
  kind: fc.constantFrom("TRADE" as const, "QUOTE" as const),
  eventTime: long,
  sequence: long,
  price: decimal,
  size: long,
  bid: fc.option(decimal, { nil: null }),
  ask: fc.option(decimal, { nil: null }),
  bidSize: fc.option(long, { nil: null }),
  askSize: fc.option(long, { nil: null }),
  exchange: fc.option(text, { nil: null }),
  ingestTime: long,
  cancelled: fc.boolean(),
});

/** avsc's tick with each decimal as its count of millionths: what the fast reader yields for it. */
function inMillionths(value: Tick): TickOf<number> {
  const millionths = (text: string) => {
    const parsed = parseDecimal(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return Number(parsed.unscaled);
  };
  return {
    ...value,
    price: millionths(value.price),
    bid: value.bid === null ? null : millionths(value.bid),
    ask: value.ask === null ? null : millionths(value.ask),
  };
}

/** What avsc makes of `body`: the value, or that it refuses it. */
function avscRead(body: Buffer): { value: unknown } | "refused" {
  try {
    return { value: tickType.fromBuffer(body) };
  } catch {
    return "refused";
  }
}

test("on any valid record, with or without every optional field, it equals avsc (decimals in millionths)", () => {
  let fast = 0;
  fc.assert(
    fc.property(tick, (value) => {
      const body = tickType.toBuffer(value);
      const got = read?.(body);
      if (got !== undefined) fast += 1;
      // Undefined hands the record to avsc (a decimal over 6 bytes); anything else is avsc's value.
      if (got !== undefined) expect(got).toEqual(inMillionths(tickType.fromBuffer(body) as Tick));
      // Its decimals are avsc's text once formatted.
      if (got !== undefined) expect(formatUnits(got.price)).toBe(value.price);
      // After a Confluent header, as the consumer reads it: the same value.
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);
      expect(read?.(framed, 5)).toEqual(got);
    }),
    { numRuns: 3000, seed: 26 },
  );
  // Most generated records take the fast path (the rest have a decimal beyond 2^47 millionths).
  expect(fast).toBeGreaterThan(1000);
});

test("on mutated bytes it answers avsc's value or hands the record to avsc, never another value", () => {
  const mutated = fc
    .tuple(
      tick,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 3 }),
    )
    .map(([value, flips, cut, tail]) => {
      const body = Buffer.from(tickType.toBuffer(value));
      for (const [at, byte] of flips) body[at % body.length] = byte;
      const cutBody = cut === undefined ? body : body.subarray(0, cut % (body.length + 1));
      return Buffer.concat([cutBody, Buffer.from(tail)]);
    });
  fc.assert(
    fc.property(mutated, (body) => {
      const got = read?.(body);
      if (got === undefined) return;
      const reference = avscRead(body);
      expect(reference).not.toBe("refused");
      expect(got).toEqual(inMillionths((reference as { value: Tick }).value));
    }),
    { numRuns: 5000, seed: 2026 },
  );
});

test("records that repeat a few sources, symbols and exchanges each read as their own text", () => {
  // Short strings are interned by their bytes: a repeat, a string of the same length and a
  // different one after it must each come back as written (the pool forces slot reuse).
  const pool = [
    "AAPL",
    "AAPM",
    "MSFT",
    "",
    "é",
    "\u00ff",
    "BRK.B",
    "XNAS",
    "bench",
    "a".repeat(24),
  ];
  const word = fc.constantFrom(...pool);
  const record = fc
    .tuple(tick, word, word, fc.option(word, { nil: null }))
    .map(([value, source, symbol, exchange]) => ({ ...value, source, symbol, exchange }));
  fc.assert(
    fc.property(fc.array(record, { minLength: 2, maxLength: 20 }), (records) => {
      for (const value of records) {
        const got = read?.(tickType.toBuffer(value));
        if (got === undefined) continue;
        expect([got.source, got.symbol, got.exchange]).toEqual([
          value.source,
          value.symbol,
          value.exchange,
        ]);
      }
    }),
    { numRuns: 500, seed: 26 },
  );
});
