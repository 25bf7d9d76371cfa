import { describe, expect, test } from "bun:test";
import { avroTypeOf, type Tick, topicNamed } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import {
  RegistryAccessError,
  RegistryUnavailableError,
  UnknownSchemaError,
  UnsupportedSchemaError,
} from "@repo/registry";
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
const stringType = avro.Type.forSchema("string");
const decode = createTickDecoder({
  async typeOf(id) {
    if (id === 1) return tickType;
    if (id === 2) return otherType;
    if (id === 3) throw new Error("ECONNREFUSED");
    if (id === 4) return stringType;
    if (id === 5) throw new UnsupportedSchemaError(5, "schema id 5 is PROTOBUF, not AVRO");
    throw new UnknownSchemaError(id);
  },
  answering: async () => false,
  retryBudgetMs: 1_000,
});

test("a wire-format tick decodes to the exact value, decimals (in millionths) and micros intact", async () => {
  // The fast reader carries each decimal as its count of millionths: 187.123456 → 187123456.
  expect(await decode(wire(1, tickType.toBuffer(tick)))).toEqual({
    ok: true,
    value: { ...tick, price: 187_123_456 },
  });
});

test("a price with more digits than decimal(18,6) allows is invalid_value, not stored (the fast reader leaves it to avsc)", async () => {
  // The same bytes as a Tick whose price is 19 digits: 1234567890123.456789 (8 bytes unscaled).
  const plain = (spec.schema as { fields: { name: string; type: unknown }[] }).fields.map((f) =>
    f.name === "price" ? { ...f, type: "bytes" } : f,
  );
  const bytesType = avro.Type.forSchema({ ...(spec.schema as object), fields: plain } as Schema);
  const unscaled = Buffer.alloc(8);
  unscaled.writeBigInt64BE(1_234_567_890_123_456_789n);
  const result = await decode(wire(1, bytesType.toBuffer({ ...tick, price: unscaled })));
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason.code).toBe("invalid_value");
  expect(result.reason.detail).toStartWith("price: ");
});

test.each([
  ["bad_magic_byte", Buffer.from("garbage")],
  ["bad_magic_byte", Buffer.from([0, 0])],
  ["empty_value", null],
  ["unknown_schema_id", wire(99, Buffer.from([1, 2]))],
  ["incompatible_schema", wire(2, otherType.toBuffer({ n: 1 }))],
  ["incompatible_schema", wire(4, stringType.toBuffer("hello"))],
  ["unsupported_schema", wire(5, Buffer.from([1, 2]))],
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

test("a price, bid or ask of zero or below is invalid, read in millionths as in text", async () => {
  const quote = { ...tick, kind: "QUOTE" as const, size: 0, bid: "187.1", ask: "187.2" };
  const cases: [Partial<Tick>, string][] = [
    [{ price: "0" }, "price: must be positive"],
    [{ price: "-0.000001" }, "price: must be positive"],
    [{ bid: "-187.1" }, "bid: must be positive"],
    [{ ask: "0.000000" }, "ask: must be positive"],
  ];
  for (const [change, detail] of cases) {
    const result = await decode(wire(1, tickType.toBuffer({ ...quote, ...change })));
    expect(result.ok ? "ok" : result.reason.detail).toBe(detail);
  }
  // The smallest positive price passes, and is 1 millionth.
  const smallest = await decode(wire(1, tickType.toBuffer({ ...quote, price: "0.000001" })));
  expect(smallest.ok ? smallest.value.price : smallest.reason.detail).toBe(1);
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

describe("a schema id the registry fails to serve", () => {
  /** A registry whose id 7 fails with `failure` while `answering` says how the rest of it does. */
  function failingRegistry(failure: Error) {
    const registry = { answering: true, clock: 0, fixed: false };
    const decode = createTickDecoder(
      {
        async typeOf(id) {
          if (id === 7 && !registry.fixed) throw failure;
          return tickType;
        },
        answering: async () => registry.answering,
        retryBudgetMs: 10_000,
      },
      {},
      () => registry.clock,
    );
    return { registry, decode };
  }
  const record = (id: number) => wire(id, tickType.toBuffer(tick));

  test.each([
    [
      "a 500",
      new RegistryUnavailableError("GET /schemas/ids/7", new Error("HTTP 500"), { status: 500 }),
    ],
    ["a 403", new RegistryAccessError(403, "HTTP 403 for GET /schemas/ids/7")],
    [
      "no answer",
      new RegistryUnavailableError("GET /schemas/ids/7", new Error("no answer within 5000 ms")),
    ],
  ])(
    "%s is retried until the budget runs out, then dead-lettered as schema_unavailable",
    async (_, failure) => {
      const { registry, decode } = failingRegistry(failure);
      const first = await Promise.resolve(decode(record(7))).catch((e: unknown) => e);
      expect(isRetriable(first)).toBe(true);
      registry.clock = 9_999;
      expect(isRetriable(await Promise.resolve(decode(record(7))).catch((e: unknown) => e))).toBe(
        true,
      );
      expect((await decode(record(1))).ok).toBe(true);
      registry.clock = 10_000;
      const spent = await decode(record(7));
      expect(spent.ok ? "ok" : spent.reason.code).toBe("schema_unavailable");
      expect(spent.ok ? "" : spent.reason.detail).toContain("schema id 7");
      // Later records of the id get one attempt each: no new wait.
      registry.clock = 11_000;
      const later = await decode(record(7));
      expect(later.ok ? "ok" : later.reason.code).toBe("schema_unavailable");
      registry.fixed = true;
      expect((await decode(record(7))).ok).toBe(true);
    },
  );

  test("a registry that answers nothing never spends the budget: the records wait for it", async () => {
    const { registry, decode } = failingRegistry(
      new RegistryUnavailableError("GET /schemas/ids/7", new Error("no answer within 5000 ms")),
    );
    registry.answering = false;
    expect(isRetriable(await Promise.resolve(decode(record(7))).catch((e: unknown) => e))).toBe(
      true,
    );
    registry.clock = 1_000_000;
    expect(isRetriable(await Promise.resolve(decode(record(7))).catch((e: unknown) => e))).toBe(
      true,
    );
    registry.answering = true;
    const spent = await decode(record(7));
    expect(spent.ok ? "ok" : spent.reason.code).toBe("schema_unavailable");
  });

  test("a refusal retrying cannot fix is still thrown as retriable, never a crash", async () => {
    const { decode } = failingRegistry(new RegistryAccessError(401, "HTTP 401"));
    const error = await Promise.resolve(decode(record(7))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(isRetriable(error)).toBe(true);
  });
});
