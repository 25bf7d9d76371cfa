import {
  avroTypeOf,
  type DecimalValue,
  fastTickReader,
  fromWire,
  type TickOf,
  TOPIC,
  topicNamed,
  type ValidateOptions,
  validate,
  WIRE_HEADER_BYTES,
} from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import {
  RegistryUnavailableError,
  UnknownSchemaError,
  UnsupportedSchemaError,
} from "@repo/registry";
import type { Resolver, Schema, Type } from "avsc";

/** Why a record went to the dead-letter topic: a stable code and a human explanation. */
export interface PoisonReason {
  code:
    | "empty_value"
    | "bad_magic_byte"
    | "unknown_schema_id"
    | "unsupported_schema"
    | "schema_unavailable"
    | "incompatible_schema"
    | "corrupt_avro"
    | "invalid_value"
    | "cassandra_refused"
    | "bar_out_of_range";
  stage: "decode" | "validate" | "store" | "aggregate";
  detail: string;
}

/**
 * A tick as the consumer holds it: the contract's Tick, each decimal a count of millionths when
 * the fast reader read it (the usual record) or text when avsc did (another schema version, a
 * decimal over 6 bytes). The row writers and the bar fold take both.
 */
export type ConsumerTick = TickOf<DecimalValue>;

/** A decoded, validated tick (validation's own result, not a copy), or why the record is poison. */
export type DecodedTick = { ok: true; value: ConsumerTick } | { ok: false; reason: PoisonReason };

/**
 * Where writer schemas come from (the Schema Registry, cached by id). `typeOf` throws
 * {@link UnknownSchemaError} for an id the registry does not know and
 * {@link UnsupportedSchemaError} for one whose schema is not a usable Avro schema (both the data's
 * fault); any other error is the registry's state (no answer in time, 5xx, 408, 429, a refusal).
 */
export interface WriterSchemas {
  typeOf(schemaId: number): Promise<Type>;
  /** Whether the registry answers requests in general now (`GET /subjects`). */
  answering(): Promise<boolean>;
  /**
   * How long one schema id may keep failing while the registry answers other requests before its
   * records are dead-lettered as `schema_unavailable` (SCHEMA_ID_RETRY_BUDGET_MS).
   */
  retryBudgetMs: number;
}

/**
 * How records of one schema id are read: the hand-written reader when the writer schema is the
 * one it reads (else, or when it hands a record back, avsc), and avsc's resolver when the writer
 * schema differs from the reader's.
 */
interface Reading {
  fast: ((value: Buffer, start: number) => TickOf<number> | undefined) | undefined;
  resolver: Resolver | undefined;
}

/** Schema ids whose failures are tracked at once (the oldest is forgotten past it). */
const MAX_FAILING_IDS = 10_000;

const tickValue = topicNamed(TOPIC.ticks).value;
if (tickValue === "bytes") throw new Error("market.ticks must carry an Avro value");
const readerType = avroTypeOf(tickValue.schema as Schema);

/**
 * Decodes Confluent wire-format bytes (magic 0, 4-byte schema id, Avro body) into a validated
 * Tick, resolving the writer schema into the current Tick schema. Records produced by any client
 * get the producer's bounds (no timestamps beyond now + skew, bounded sizes and strings). Poison is
 * returned with a reason; registry outages are thrown (retriable), so the runner retries them.
 *
 * An id the registry cannot serve while it answers other requests (a 500 or a 403 for that id
 * alone) is retried for `schemas.retryBudgetMs` from its first failure; then its records are
 * poison (`schema_unavailable`), and later records of the id get one attempt each. A registry that
 * answers nothing never spends the budget: its records wait for it.
 *
 * @example
 *   const decode = createTickDecoder(registry.writerSchemas, { maxFutureSkewMs: 60_000 });
 *   const result = await decode(message.value);
 *   if (!result.ok) deadLetter(message, result.reason);
 */
export function createTickDecoder(
  schemas: WriterSchemas,
  bounds: ValidateOptions = {},
  clock: () => number = Date.now,
) {
  /** Per id: how to read it as a Tick, or why it never can be (ids are immutable). */
  const resolvers = new Map<number, Reading | PoisonReason>();
  /** One registry lookup per schema id, however many records of a batch wait for it. */
  const lookups = new Map<number, Promise<Reading | PoisonReason>>();
  const checkOptions: ValidateOptions = { ...bounds, decodedFromAvro: true };
  /** For the fast reader's ticks: it reads at most 6 bytes of a decimal, so every one fits. */
  const fastCheckOptions: ValidateOptions = { ...checkOptions, decimalsFit: true };
  /** Ids the registry fails to serve: since when, and whether their budget ran out. */
  const failing = new Map<number, { since: number; exhausted: boolean }>();

  async function lookUp(schemaId: number): Promise<Reading | PoisonReason> {
    let writer: Type;
    try {
      writer = await schemas.typeOf(schemaId);
    } catch (error) {
      if (error instanceof UnknownSchemaError) {
        failing.delete(schemaId);
        return {
          code: "unknown_schema_id",
          stage: "decode",
          detail: `schema id ${schemaId} is not in the registry`,
        };
      }
      if (error instanceof UnsupportedSchemaError) {
        const reason = unsupported(error.message);
        resolvers.set(schemaId, reason);
        return reason;
      }
      return unavailable(schemaId, error);
    }
    failing.delete(schemaId);
    let resolved: Reading | PoisonReason;
    try {
      resolved = writer.equals(readerType)
        ? { fast: fastTickReader(writer), resolver: undefined }
        : { fast: undefined, resolver: readerType.createResolver(writer) };
    } catch (error) {
      const detail = `schema id ${schemaId} cannot be read as market.Tick: ${(error as Error).message}`;
      resolved = { code: "incompatible_schema", stage: "decode", detail };
    }
    resolvers.set(schemaId, resolved);
    return resolved;
  }

  /** Throws the failure to retry, or returns `schema_unavailable` once the id's budget ran out. */
  async function unavailable(schemaId: number, error: unknown): Promise<PoisonReason> {
    const now = clock();
    let state = failing.get(schemaId);
    if (!state) {
      if (failing.size >= MAX_FAILING_IDS) failing.delete(failing.keys().next().value as number);
      state = { since: now, exhausted: false };
      failing.set(schemaId, state);
    }
    const retry = isRetriable(error)
      ? error
      : new RegistryUnavailableError(`schema id ${schemaId}`, error);
    if (!state.exhausted && now - state.since < schemas.retryBudgetMs) throw retry;
    if (!(await schemas.answering().catch(() => false))) throw retry;
    state.exhausted = true;
    return {
      code: "schema_unavailable",
      stage: "decode",
      detail: `schema id ${schemaId} could not be fetched for ${Math.round((now - state.since) / 1000)} s (budget ${schemas.retryBudgetMs} ms) while the registry answers other requests: ${(error as Error).message}`,
    };
  }

  function resolverFor(schemaId: number): Reading | PoisonReason | Promise<Reading | PoisonReason> {
    const cached = resolvers.get(schemaId);
    if (cached) return cached;
    let lookup = lookups.get(schemaId);
    if (!lookup) {
      lookup = lookUp(schemaId).finally(() => lookups.delete(schemaId));
      lookups.set(schemaId, lookup);
    }
    return lookup;
  }

  /** Decodes and validates a framed `value` with a known reading of its schema id. */
  function read(schemaId: number, reading: Reading, value: Buffer): DecodedTick {
    let decoded: unknown = reading.fast?.(value, WIRE_HEADER_BYTES);
    let options = fastCheckOptions;
    if (decoded === undefined) {
      options = checkOptions;
      const body = value.subarray(WIRE_HEADER_BYTES);
      try {
        decoded = reading.resolver
          ? readerType.fromBuffer(body, reading.resolver)
          : readerType.fromBuffer(body);
      } catch (error) {
        return poison(
          "corrupt_avro",
          "decode",
          `schema id ${schemaId}: ${(error as Error).message}`,
        );
      }
    }
    const checked = validate("Tick", decoded, options);
    if (checked.ok) return checked;
    const detail = checked.issues.map((i) => `${i.path || "(value)"}: ${i.message}`).join("; ");
    return poison("invalid_value", "validate", detail);
  }

  /** Synchronous once the record's schema id is known: a promise only while it is looked up. */
  return function decodeTick(value: Buffer | null): DecodedTick | Promise<DecodedTick> {
    if (value === null || value.length === 0) {
      return poison("empty_value", "decode", "record has no value");
    }
    if (value.length < WIRE_HEADER_BYTES || value[0] !== 0) {
      const framed = fromWire(value);
      return poison("bad_magic_byte", "decode", framed.ok ? "not framed" : framed.message);
    }
    const schemaId = value.readInt32BE(1);
    const reading = resolverFor(schemaId);
    if (reading instanceof Promise) {
      return reading.then((known) =>
        "code" in known ? { ok: false as const, reason: known } : read(schemaId, known, value),
      );
    }
    if ("code" in reading) return { ok: false, reason: reading };
    return read(schemaId, reading, value);
  };
}

/**
 * Decodes every record of a batch in order with `decode`; a promise resolves the whole batch, and
 * only a batch with a record whose schema id is being looked up waits for anything.
 *
 * @example
 *   const decoded = await decodeAll(decode, polledRecords);
 */
export function decodeAll(
  decode: (value: Buffer | null) => DecodedTick | Promise<DecodedTick>,
  values: { value: Buffer | null }[],
): Promise<DecodedTick[]> {
  const decoded: (DecodedTick | Promise<DecodedTick>)[] = new Array(values.length);
  let waiting = false;
  for (let i = 0; i < values.length; i += 1) {
    const result = decode((values[i] as { value: Buffer | null }).value);
    if (result instanceof Promise) waiting = true;
    decoded[i] = result;
  }
  return waiting ? Promise.all(decoded) : Promise.resolve(decoded as DecodedTick[]);
}

function unsupported(detail: string): PoisonReason {
  return { code: "unsupported_schema", stage: "decode", detail };
}

function poison(code: PoisonReason["code"], stage: PoisonReason["stage"], detail: string) {
  return { ok: false as const, reason: { code, stage, detail } };
}
