/**
 * The JSON form of our records at HTTP edges, derived from the Avro schemas:
 * timestamp-micros ⇄ ISO-8601 UTC strings, decimals ⇄ strings (JSON numbers with at most the
 * schema's scale also accepted), enums ⇄ their symbols, optional fields and fields with a default
 * may be omitted or null (they take the default).
 * Prices are never rounded: anything that does not fit exactly is refused.
 */
import { z } from "zod";
import { describe } from "./avro.ts";
import { formatDecimal, parseDecimal } from "./decimal.ts";
import type { Tick } from "./generated/Tick.ts";
import type { ValidateOptions } from "./rules.ts";
import { formatTimestamp, parseTimestamp } from "./timestamp.ts";
import {
  formatPath,
  type RecordTypes,
  recordContract,
  type Validation,
  validate,
} from "./validate.ts";

/** An Avro schema as written in JSON (a name, a union, or a complex type). */
type Schema = string | Schema[] | AvroNode;

interface AvroNode {
  type: Schema;
  logicalType?: string;
  scale?: number;
  precision?: number;
  symbols?: string[];
  fields?: { name: string; type: Schema; default?: unknown }[];
  items?: Schema;
  values?: Schema;
}

const node = (schema: Schema): AvroNode =>
  typeof schema === "string" || Array.isArray(schema) ? { type: schema } : schema;

const isNullUnion = (schema: Schema): schema is Schema[] =>
  Array.isArray(schema) && schema.length === 2 && schema.includes("null");

const optionalBranch = (schema: Schema[]): Schema =>
  schema.find((branch) => branch !== "null") as Schema;

/** A zod schema reading the JSON form of an Avro schema and producing its Avro value. */
function reader(schema: Schema): z.ZodType {
  if (isNullUnion(schema)) {
    return reader(optionalBranch(schema))
      .nullish()
      .transform((value) => value ?? null);
  }
  const {
    type,
    logicalType,
    scale = 0,
    precision = 38,
    symbols,
    fields,
    items,
    values,
  } = node(schema);
  if (Array.isArray(type))
    throw new Error(`JSON form of union ${JSON.stringify(type)} is not defined`);
  if (typeof type === "object") return reader(type);
  if (logicalType === "decimal") return decimalReader(scale, precision);
  if (logicalType === "timestamp-micros") return timestampReader;
  switch (type) {
    case "string":
      return z.string();
    case "boolean":
      return z.boolean();
    case "int":
    case "long":
      return z.number().int().refine(Number.isSafeInteger, "must be a safe integer");
    case "float":
    case "double":
      return z.number();
    case "null":
      return z.null();
    case "enum":
      return z.enum(symbols as [string, ...string[]]);
    case "array":
      return z.array(reader(items as Schema));
    case "map":
      return z.record(z.string(), reader(values as Schema));
    case "record":
      return z.strictObject(
        Object.fromEntries((fields ?? []).map((f) => [f.name, fieldReader(f)])),
      );
    default:
      throw new Error(`JSON form of Avro type ${JSON.stringify(type)} is not defined`);
  }
}

/**
 * A record field's reader: a field with a default other than null (e.g. Tick's `cancelled`,
 * default false) may be omitted or null in JSON and takes its default, as Avro's reader does for
 * a writer that lacks the field; other fields read as their type says.
 */
function fieldReader(field: { type: Schema; default?: unknown }): z.ZodType {
  const read = reader(field.type);
  if (!("default" in field) || field.default === null || isNullUnion(field.type)) return read;
  const fallback = field.default;
  return read.nullish().transform((value) => value ?? fallback);
}

/**
 * Significant digits a binary double carries exactly (DBL_DIG): a decimal with at most 15 of them
 * survives JSON parsing unchanged, one with more may already have been rounded by the parser.
 */
const EXACT_NUMBER_DIGITS = 15;

function significantDigits(value: number): number {
  const mantissa = Math.abs(value).toExponential().split("e")[0] ?? "";
  return mantissa.replace(".", "").replace(/0+$/, "").length;
}

function decimalReader(scale: number, precision: number): z.ZodType<string> {
  return z.unknown().transform((input, ctx) => {
    const finite =
      typeof input === "string" || (typeof input === "number" && Number.isFinite(input));
    if (!finite) {
      const message =
        input === undefined ? "is required" : `expected a decimal string, got ${describe(input)}`;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    if (typeof input === "number" && significantDigits(input) > EXACT_NUMBER_DIGITS) {
      const message = `a JSON number with more than ${EXACT_NUMBER_DIGITS} significant digits may have been rounded by the JSON parser; send it as a decimal string`;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    const parsed = parseDecimal(String(input), scale, precision, typeof input === "number");
    if (parsed.ok) return formatDecimal(parsed.unscaled, scale);
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  });
}

const timestampReader = z.string().transform((input, ctx) => {
  const parsed = parseTimestamp(input);
  if (parsed.ok) return parsed.micros;
  ctx.addIssue({ code: "custom", message: parsed.message });
  return z.NEVER;
});

/** Converts an Avro value to its JSON form, following the schema. */
function writeJson(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (isNullUnion(schema)) return writeJson(optionalBranch(schema), value);
  const { type, logicalType, fields, items, values } = node(schema);
  if (typeof type === "object" && !Array.isArray(type)) return writeJson(type, value);
  if (logicalType === "timestamp-micros") return formatTimestamp(value as number);
  if (type === "array") return (value as unknown[]).map((item) => writeJson(items as Schema, item));
  if (type === "map") {
    const entries = Object.entries(value as Record<string, unknown>);
    return Object.fromEntries(entries.map(([k, v]) => [k, writeJson(values as Schema, v)]));
  }
  if (type === "record") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      (fields ?? []).map((f) => [f.name, writeJson(f.type, record[f.name])]),
    );
  }
  return value;
}

const requiredMessage = (issue: { input?: unknown; code?: string }) =>
  issue.input === undefined && issue.code === "invalid_type" ? "is required" : undefined;

const readers = new Map<string, z.ZodType>();

function readerFor(topicOrType: string): z.ZodType {
  const { name, schema } = recordContract(topicOrType) as { name: string; schema: Schema };
  let found = readers.get(name);
  if (!found) {
    found = reader(schema);
    readers.set(name, found);
  }
  return found;
}

/**
 * Reads the JSON form of a record (for a topic like `market.ticks` or a record like `Tick`)
 * into its Avro value, then validates it. Issue paths are relative to the value (`price`).
 */
export function fromJson<K extends keyof RecordTypes>(
  type: K,
  json: unknown,
  options?: ValidateOptions,
): Validation<RecordTypes[K]>;
export function fromJson(
  topicOrType: string,
  json: unknown,
  options?: ValidateOptions,
): Validation<unknown>;
export function fromJson(
  topicOrType: string,
  json: unknown,
  options?: ValidateOptions,
): Validation<unknown> {
  const parsed = readerFor(topicOrType).safeParse(json, { error: requiredMessage });
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({
            path: formatPath([...issue.path.map(String), key]),
            message: "is not a field of this record",
          }))
        : [{ path: formatPath(issue.path.map(String)), message: issue.message }],
    );
    return { ok: false, issues };
  }
  return validate(topicOrType, parsed.data, options);
}

/** The JSON form of a record's Avro value (timestamps as ISO-8601 UTC with 6 fractional digits). */
export function toJson(topicOrType: string, value: unknown): Record<string, unknown> {
  return writeJson(recordContract(topicOrType).schema as Schema, value) as Record<string, unknown>;
}

/** Reads a tick from its JSON form; see {@link fromJson}. */
export function tickFromJson(json: unknown, options?: ValidateOptions): Validation<Tick> {
  return fromJson("Tick", json, options);
}

/** The JSON form of a tick; see {@link toJson}. */
export function tickToJson(tick: Tick): Record<string, unknown> {
  return toJson("Tick", tick);
}
