import { expect, test } from "bun:test";
import { avroTypeOf, topicNamed } from "@repo/contracts";
import { UnknownSchemaError } from "@repo/registry";
import { sampleTick } from "@repo/testkit";
import avro, { type Schema } from "avsc";
import { createTickDecoder } from "./decode.ts";

const spec = topicNamed("market.ticks").value;
if (spec === "bytes") throw new Error("unexpected");
const tickType = avroTypeOf(spec.schema as Schema);
const otherType = avro.Type.forSchema({
  type: "record",
  name: "Other",
  fields: [{ name: "n", type: "int" }],
});
const tick = sampleTick({
  source: "sim",
  eventTime: 1_795_617_000_123_456,
  price: "187.123456",
  ingestTime: 1_795_617_000_200_000,
});
const wire = (id: number, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
};
const decode = createTickDecoder({
  async typeOf(id) {
    if (id === 1) return tickType;
    if (id === 2) return otherType;
    if (id === 3) throw new Error("ECONNREFUSED");
    throw new UnknownSchemaError(id);
  },
});

test("a wire-format tick decodes to the exact value, decimals and micros intact", async () => {
  expect(await decode(wire(1, tickType.toBuffer(tick)))).toEqual({ ok: true, tick });
});

test.each([
  ["bad_magic_byte", Buffer.from("garbage")],
  ["bad_magic_byte", Buffer.from([0, 0])],
  ["empty_value", null],
  ["unknown_schema_id", wire(99, Buffer.from([1, 2]))],
  ["incompatible_schema", wire(2, otherType.toBuffer({ n: 1 }))],
  ["corrupt_avro", wire(1, tickType.toBuffer(tick).subarray(0, 20))],
  ["invalid_value", wire(1, tickType.toBuffer({ ...tick, symbol: "aapl" }))],
] as const)("poison is classified as %s", async (code, bytes) => {
  const result = await decode(bytes);
  expect(result.ok ? "ok" : result.reason.code).toBe(code);
});

test("an invalid value names the field and the reason", async () => {
  const result = await decode(wire(1, tickType.toBuffer({ ...tick, kind: "TRADE", size: 0 })));
  expect(result.ok ? "" : result.reason.detail).toContain(
    "size: a TRADE must have a positive size",
  );
});

test("a registry outage is thrown (retried by the runner), never dead-lettered", async () => {
  expect(decode(wire(3, Buffer.from([1])))).rejects.toThrow("ECONNREFUSED");
});

test("records produced by other clients get the producer's bounds: a tick dated 2250 or a huge size is poison", async () => {
  const in2250 = Date.parse("2250-01-01T00:00:00Z") * 1000;
  const future = await decode(wire(1, tickType.toBuffer({ ...tick, eventTime: in2250 })));
  expect(future.ok ? "ok" : future.reason).toEqual({
    code: "invalid_value",
    stage: "validate",
    detail: "eventTime: must not be later than now + 60 s (clock skew allowance)",
  });
  const huge = await decode(wire(1, tickType.toBuffer({ ...tick, size: 9_007_199_254_740_990 })));
  expect(huge.ok ? "ok" : huge.reason.detail).toBe("size: must be at most 1,000,000,000 shares");
});
