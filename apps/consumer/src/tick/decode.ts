import {
  avroTypeOf,
  fromWire,
  type Tick,
  TOPIC,
  topicNamed,
  type ValidateOptions,
  validate,
} from "@repo/contracts";
import { UnknownSchemaError } from "@repo/registry";
import type { Resolver, Schema, Type } from "avsc";

/** Why a record went to the dead-letter topic: a stable code and a human explanation. */
export interface PoisonReason {
  code:
    | "empty_value"
    | "bad_magic_byte"
    | "unknown_schema_id"
    | "incompatible_schema"
    | "corrupt_avro"
    | "invalid_value"
    | "cassandra_refused"
    | "bar_out_of_range";
  stage: "decode" | "validate" | "store" | "aggregate";
  detail: string;
}

export type DecodedTick = { ok: true; tick: Tick } | { ok: false; reason: PoisonReason };

/**
 * Where writer schemas come from (the Schema Registry, cached by id). Throws
 * {@link UnknownSchemaError} for an id the registry does not know; any other error is transient
 * (registry unreachable) and must be retried, never dead-lettered.
 */
export interface WriterSchemas {
  typeOf(schemaId: number): Promise<Type>;
}

const tickValue = topicNamed(TOPIC.ticks).value;
if (tickValue === "bytes") throw new Error("market.ticks must carry an Avro value");
const readerType = avroTypeOf(tickValue.schema as Schema);

/**
 * Decodes Confluent wire-format bytes (magic 0, 4-byte schema id, Avro body) into a validated
 * Tick, resolving the writer schema into the current Tick schema. Records produced by any client
 * get the producer's bounds (no timestamps beyond now + skew, bounded sizes and strings). Poison is
 * returned with a reason; registry outages are thrown.
 *
 * @example
 *   const decode = createTickDecoder({ typeOf: (id) => registry.getSchema(id) as Promise<Type> });
 *   const result = await decode(message.value);
 *   if (!result.ok) deadLetter(message, result.reason);
 */
export function createTickDecoder(schemas: WriterSchemas, bounds: ValidateOptions = {}) {
  const resolvers = new Map<number, Resolver | "same">();
  /** One registry lookup per schema id, however many records of a batch wait for it. */
  const lookups = new Map<number, Promise<Resolver | "same" | PoisonReason>>();

  async function lookUp(schemaId: number): Promise<Resolver | "same" | PoisonReason> {
    let writer: Type;
    try {
      writer = await schemas.typeOf(schemaId);
    } catch (error) {
      if (error instanceof UnknownSchemaError) {
        return {
          code: "unknown_schema_id",
          stage: "decode",
          detail: `schema id ${schemaId} is not in the registry`,
        };
      }
      throw error;
    }
    try {
      const resolver = writer.equals(readerType) ? "same" : readerType.createResolver(writer);
      resolvers.set(schemaId, resolver);
      return resolver;
    } catch (error) {
      const detail = `schema id ${schemaId} cannot be read as market.Tick: ${(error as Error).message}`;
      return { code: "incompatible_schema", stage: "decode", detail };
    }
  }

  function resolverFor(
    schemaId: number,
  ): Resolver | "same" | Promise<Resolver | "same" | PoisonReason> {
    const cached = resolvers.get(schemaId);
    if (cached) return cached;
    let lookup = lookups.get(schemaId);
    if (!lookup) {
      lookup = lookUp(schemaId).finally(() => lookups.delete(schemaId));
      lookups.set(schemaId, lookup);
    }
    return lookup;
  }

  return async function decodeTick(value: Buffer | null): Promise<DecodedTick> {
    if (value === null || value.length === 0) {
      return poison("empty_value", "decode", "record has no value");
    }
    const framed = fromWire(value);
    if (!framed.ok) return poison("bad_magic_byte", "decode", framed.message);
    const { schemaId, body } = framed;
    const resolver = await resolverFor(schemaId);
    if (typeof resolver === "object" && "code" in resolver) return { ok: false, reason: resolver };
    let decoded: unknown;
    try {
      decoded =
        resolver === "same" ? readerType.fromBuffer(body) : readerType.fromBuffer(body, resolver);
    } catch (error) {
      return poison("corrupt_avro", "decode", `schema id ${schemaId}: ${(error as Error).message}`);
    }
    const checked = validate("Tick", decoded, { ...bounds, decodedFromAvro: true });
    if (!checked.ok) {
      const detail = checked.issues.map((i) => `${i.path || "(value)"}: ${i.message}`).join("; ");
      return poison("invalid_value", "validate", detail);
    }
    return { ok: true, tick: checked.value };
  };
}

function poison(code: PoisonReason["code"], stage: PoisonReason["stage"], detail: string) {
  return { ok: false as const, reason: { code, stage, detail } };
}
