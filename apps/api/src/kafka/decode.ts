import { fromWire } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";

/** Bytes of an undecodable value shown as hex; the rest is counted, not sent. */
export const MAX_HEX_BYTES = 4096;

/** Why a value could not be shown as JSON (the consumer's dead-letter codes where they match). */
export type UndecodableReason =
  | "empty_value"
  | "not_wire_format"
  | "unknown_schema_id"
  | "unsupported_schema"
  | "corrupt_avro"
  | "registry_unavailable";

export type DecodedValue =
  | { encoding: "json"; schemaId: number; json: unknown }
  | {
      encoding: "hex";
      /** At most {@link MAX_HEX_BYTES} bytes, as lower-case hex. */
      hex: string;
      size: number;
      truncated: boolean;
      schemaId?: number;
      reason: UndecodableReason;
      detail: string;
    }
  | { encoding: "null" };

/** What decoding needs of an avsc type. */
export interface AvroReader {
  decode(buffer: Buffer, position?: number): { value: unknown; offset: number };
}

/** Writer schemas by id (the registry client's `typeOf`). */
export type WriterTypes = (schemaId: number) => Promise<AvroReader>;

/**
 * A record value as the console shows it: Confluent wire format decoded through the registry's
 * writer schema into JSON, or the bytes in hex with the reason they could not be decoded (as
 * kafka-ui and AKHQ fall back to raw bytes). Never throws.
 *
 * @example
 *   await decodeValue(registry.typeOf, message.value);
 *   // { encoding: "json", schemaId: 3, json: { symbol: "AAPL", price: "187.25", … } }
 *   // or { encoding: "hex", hex: "7b2273…", reason: "not_wire_format", detail: "…" }
 */
export async function decodeValue(
  types: WriterTypes,
  value: Buffer | null | undefined,
): Promise<DecodedValue> {
  const decoded = await decodeAvro(types, value);
  return "avro" in decoded
    ? { encoding: "json", schemaId: decoded.schemaId, json: toJson(decoded.avro) }
    : decoded;
}

/**
 * {@link decodeValue} before its JSON conversion: the value as avsc reads it with its writer
 * schema (`avro`), for checks such as `validateTick`, or the same hex/null outcome.
 *
 * @example
 *   const read = await decodeAvro(registry.typeOf, record.value);
 *   if ("avro" in read) validateTick(read.avro);
 */
export async function decodeAvro(
  types: WriterTypes,
  value: Buffer | null | undefined,
): Promise<{ schemaId: number; avro: unknown } | Exclude<DecodedValue, { encoding: "json" }>> {
  if (value === null || value === undefined) return { encoding: "null" };
  const hex = (reason: UndecodableReason, detail: string, schemaId?: number) => ({
    encoding: "hex" as const,
    hex: value.subarray(0, MAX_HEX_BYTES).toString("hex"),
    size: value.length,
    truncated: value.length > MAX_HEX_BYTES,
    ...(schemaId === undefined ? {} : { schemaId }),
    reason,
    detail,
  });
  if (value.length === 0) return hex("empty_value", "the value is empty");
  const framed = fromWire(value);
  if (!framed.ok) return hex("not_wire_format", framed.message);
  const { schemaId, body } = framed;
  let type: AvroReader;
  try {
    type = await types(schemaId);
  } catch (error) {
    const name = (error as Error).name;
    if (name === "UnknownSchemaError")
      return hex("unknown_schema_id", `schema id ${schemaId} is not in the registry`, schemaId);
    if (name === "UnsupportedSchemaError")
      return hex("unsupported_schema", (error as Error).message, schemaId);
    return hex(
      "registry_unavailable",
      isRetriable(error)
        ? "the schema registry did not answer; retry later"
        : "the schema registry refused the lookup",
      schemaId,
    );
  }
  try {
    const { value: decoded, offset } = type.decode(body, 0);
    if (offset !== body.length)
      return hex(
        "corrupt_avro",
        offset < 0
          ? `the Avro body ends early for schema id ${schemaId}`
          : `${body.length - offset} bytes left after the Avro value`,
        schemaId,
      );
    return { schemaId, avro: decoded };
  } catch (error) {
    return hex(
      "corrupt_avro",
      `not readable with schema id ${schemaId}: ${(error as Error).message}`,
      schemaId,
    );
  }
}

/** Avro values as JSON: bigints as numbers when exact (else strings), bytes as hex, maps as objects. */
export function toJson(value: unknown): unknown {
  if (typeof value === "bigint")
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (Buffer.isBuffer(value)) return value.toString("hex");
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toJson(v)]));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return value;
}

/**
 * A key or header as text when it is UTF-8, else hex.
 *
 * @example
 *   textOrHex(Buffer.from("AAPL")); // { text: "AAPL" }
 */
export function textOrHex(
  bytes: Buffer | null | undefined,
): { text: string } | { hex: string } | null {
  if (bytes === null || bytes === undefined) return null;
  const text = bytes.toString("utf8");
  return Buffer.from(text, "utf8").equals(bytes) && !hasControlBytes(bytes)
    ? { text }
    : { hex: bytes.subarray(0, MAX_HEX_BYTES).toString("hex") };
}

/** Bytes below 0x20 other than tab, line feed, carriage return (text with them is shown as hex). */
function hasControlBytes(bytes: Buffer): boolean {
  for (const byte of bytes)
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13) return true;
  return false;
}
