import { avroTypeOf, type Bar, fromWire, TOPIC, topicNamed, validate } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import {
  RegistryUnavailableError,
  UnknownSchemaError,
  UnsupportedSchemaError,
} from "@repo/registry";
import type { Resolver, Schema, Type } from "avsc";
import { parseMicros } from "../indicators/fixed.ts";
import type { MinuteBar } from "../series/rollup.ts";

/** Why a record of the bars topic is skipped (counted and logged; bars have no dead-letter topic). */
type SkipCode =
  | "empty_value"
  | "bad_magic_byte"
  | "unknown_schema_id"
  | "unsupported_schema"
  | "incompatible_schema"
  | "corrupt_avro"
  | "invalid_value";

/** A decoded bar, or why the record is skipped. */
export type DecodedBar =
  | { ok: true; symbol: string; bar: MinuteBar }
  | {
      ok: false;
      code: SkipCode;
      detail: string;
    };

const barValue = topicNamed(TOPIC.bars).value;
if (barValue === "bytes") throw new Error("market.bars.1m must carry an Avro value");
const readerType = avroTypeOf(barValue.schema as Schema);

/** A Bar in its Avro shape as micro-unit integers. */
export function minuteBarOf(bar: Bar): MinuteBar {
  return {
    start: bar.start,
    open: parseMicros(bar.open),
    high: parseMicros(bar.high),
    low: parseMicros(bar.low),
    close: parseMicros(bar.close),
    volume: BigInt(bar.volume),
    vwap: parseMicros(bar.vwap),
    trades: BigInt(bar.trades),
  };
}

/**
 * Decodes Confluent wire-format bars (magic 0, schema id, Avro body) with the writer schema from the
 * registry (cached per id), resolved into the current Bar schema, then validated. A record that is
 * not a bar is returned with its reason (the runner counts and skips it: never a stall); the
 * registry being unreachable is thrown (retriable).
 *
 * @example
 *   const decode = createBarDecoder((id) => registry.typeOf(id));
 *   const result = await decode(record.value);
 */
export function createBarDecoder(typeOf: (schemaId: number) => Promise<Type>) {
  type Unreadable = { code: SkipCode; detail: string };
  const resolvers = new Map<number, Resolver | "same" | Unreadable>();

  async function resolverFor(schemaId: number): Promise<Resolver | "same" | Unreadable> {
    const cached = resolvers.get(schemaId);
    if (cached) return cached;
    let writer: Type;
    try {
      writer = await typeOf(schemaId);
    } catch (error) {
      if (error instanceof UnknownSchemaError)
        return {
          code: "unknown_schema_id" as const,
          detail: `schema id ${schemaId} is not in the registry`,
        };
      if (error instanceof UnsupportedSchemaError) {
        const reason = { code: "unsupported_schema" as const, detail: error.message };
        resolvers.set(schemaId, reason);
        return reason;
      }
      throw isRetriable(error)
        ? error
        : new RegistryUnavailableError(`schema id ${schemaId}`, error);
    }
    let resolved: Resolver | "same" | { code: "incompatible_schema"; detail: string };
    try {
      resolved = writer.equals(readerType) ? "same" : readerType.createResolver(writer);
    } catch (error) {
      resolved = {
        code: "incompatible_schema",
        detail: `schema id ${schemaId} cannot be read as market.Bar: ${(error as Error).message}`,
      };
    }
    resolvers.set(schemaId, resolved);
    return resolved;
  }

  return async function decodeBar(value: Buffer | null): Promise<DecodedBar> {
    if (value === null || value.length === 0)
      return { ok: false, code: "empty_value", detail: "record has no value" };
    const framed = fromWire(value);
    if (!framed.ok) return { ok: false, code: "bad_magic_byte", detail: framed.message };
    const resolver = await resolverFor(framed.schemaId);
    if (typeof resolver === "object" && "code" in resolver) return { ok: false, ...resolver };
    let decoded: unknown;
    try {
      decoded =
        resolver === "same"
          ? readerType.fromBuffer(framed.body)
          : readerType.fromBuffer(framed.body, resolver);
    } catch (error) {
      return { ok: false, code: "corrupt_avro", detail: (error as Error).message };
    }
    const checked = validate("Bar", decoded, { decodedFromAvro: true });
    if (!checked.ok)
      return {
        ok: false,
        code: "invalid_value",
        detail: checked.issues.map((i) => `${i.path}: ${i.message}`).join("; "),
      };
    return { ok: true, symbol: checked.value.symbol, bar: minuteBarOf(checked.value) };
  };
}
