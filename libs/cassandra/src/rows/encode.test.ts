import { expect, test } from "bun:test";
import { formatUnits } from "@repo/contracts";
import cassandra from "cassandra-driver";
import fc from "fast-check";
import { partitionDay } from "../local-date.ts";
import { dataTypes, driverCodec } from "./driver-codec.test-helpers.ts";
import {
  bigintBytes,
  dateBytes,
  decimalBytes,
  routingKey,
  textBytes,
  timestampBytes,
} from "./encode.ts";

const { BigDecimal, Long } = cassandra.types;
/** What the driver would send for the same value (protocol v4). */
const driver = (value: unknown, code: number) => driverCodec.encode(value, { code });

test("bigint bytes equal the driver's encoding of the same number", () => {
  fc.assert(
    fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -2, max: 1100 })), (n) => {
      expect(bigintBytes(n)).toEqual(driver(Long.fromNumber(n), dataTypes.bigint));
    }),
    { numRuns: 2000, seed: 16 },
  );
  for (const n of [
    0,
    1,
    -1,
    2 ** 31,
    -(2 ** 31),
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
  ]) {
    expect(bigintBytes(n)).toEqual(driver(Long.fromNumber(n), dataTypes.bigint));
  }
  expect(() => bigintBytes(2 ** 53)).toThrow("not a safe integer");
  expect(() => bigintBytes(1.5)).toThrow("not a safe integer");
});

test("timestamp bytes equal the driver's encoding of the same instant in milliseconds", () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (us) => {
      expect(timestampBytes(us)).toEqual(
        driver(new Date(Math.floor(us / 1000)), dataTypes.timestamp),
      );
    }),
    { numRuns: 2000, seed: 16 },
  );
});

test("decimal bytes equal the driver's encoding of BigDecimal.fromString, short and long", () => {
  const decimalText = fc
    .tuple(
      fc.boolean(),
      fc.stringMatching(/^\d{1,20}$/),
      fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
    )
    .map(
      ([negative, whole, fraction]) =>
        `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`,
    );
  fc.assert(
    fc.property(decimalText, (text) => {
      expect(decimalBytes(text)).toEqual(driver(BigDecimal.fromString(text), dataTypes.decimal));
    }),
    { numRuns: 5000, seed: 16 },
  );
  for (const text of [
    "0",
    "-0",
    "0.000001",
    "127",
    "128",
    "-128",
    "-129",
    "255",
    "32767",
    "32768",
    "101.25",
    "999999999999999",
    "1000000000000000",
    "123456789012.345678",
  ]) {
    expect(decimalBytes(text)).toEqual(driver(BigDecimal.fromString(text), dataTypes.decimal));
  }
  expect(() => decimalBytes("1e5")).toThrow("not a plain decimal");
  expect(() => decimalBytes("")).toThrow("not a plain decimal");
  for (const text of ["1.", ".5", "-", "1.2.3"])
    expect(() => decimalBytes(text)).toThrow("not a plain decimal");
});

test("a count of millionths is written as the bytes of its canonical text, which the driver would send", () => {
  const millionths = fc.oneof(
    fc.maxSafeInteger(),
    fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }),
    // Prices with trailing zeros in their fraction: whole cents, whole dollars.
    fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((n) => n * 10_000),
    fc.integer({ min: -(10 ** 9), max: 10 ** 9 }).map((n) => n * 1_000_000),
  );
  fc.assert(
    fc.property(millionths, (units) => {
      const text = formatUnits(units);
      expect(decimalBytes(units)).toEqual(decimalBytes(text));
      expect(decimalBytes(units)).toEqual(driver(BigDecimal.fromString(text), dataTypes.decimal));
    }),
    { numRuns: 5000, seed: 26 },
  );
  for (const units of [0, 1, -1, 10, 1_000_000, -1_000_000, 187_250_000, 127_000_000, 128_000_000])
    expect(decimalBytes(units)).toEqual(decimalBytes(formatUnits(units)));
  // 187.25: scale 2, unscaled 18725 (0x4925), as BigDecimal.fromString("187.25") writes it.
  expect([...decimalBytes(187_250_000)]).toEqual([0, 0, 0, 2, 0x49, 0x25]);
  expect(() => decimalBytes(0.5)).toThrow("not a safe integer count of millionths");
  expect(() => decimalBytes(2 ** 53)).toThrow("not a safe integer count of millionths");
});

test("a small count (a lot size) is one shared Buffer; any other value gets its own", () => {
  expect(bigintBytes(100)).toBe(bigintBytes(100));
  expect(bigintBytes(1023)).toBe(bigintBytes(1023));
  expect(bigintBytes(1024)).not.toBe(bigintBytes(1024));
  expect(bigintBytes(-1)).not.toBe(bigintBytes(-1));
  expect([...bigintBytes(100)]).toEqual([0, 0, 0, 0, 0, 0, 0, 100]);
});

test("date bytes equal the driver's encoding of the partition day", () => {
  fc.assert(
    fc.property(fc.integer({ min: -8_000_000_000_000_000, max: 8_000_000_000_000_000 }), (us) => {
      expect(dateBytes(us)).toEqual(driver(partitionDay(us), dataTypes.date));
    }),
    { numRuns: 2000, seed: 16 },
  );
});

test("a routing key is the key's bytes, or for several columns Cassandra's composite form", () => {
  const symbol = Buffer.from("AAPL");
  expect(routingKey([symbol])).toEqual(symbol);
  // [length 4]["AAPL"][0] [length 4][date][0]
  const day = dateBytes(1_767_623_400_000_000);
  expect(routingKey([symbol, day])).toEqual(
    Buffer.concat([Buffer.from([0, 4]), symbol, Buffer.from([0, 0, 4]), day, Buffer.from([0])]),
  );
});

test("text bytes equal the driver's encoding of the same string, one Buffer per distinct text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
      expect(textBytes(text)).toEqual(driver(text, dataTypes.text));
    }),
    { numRuns: 2000, seed: 17 },
  );
  expect(textBytes("XNAS")).toBe(textBytes("XNAS"));
  expect(textBytes("XNAS")).not.toBe(textBytes("XNYS"));
  // Bounded: past its limit it starts over, and still answers the right bytes.
  for (let i = 0; i < 10_000; i += 1) textBytes(`source-${i}`);
  expect(textBytes("XNAS").toString("utf8")).toBe("XNAS");
});
