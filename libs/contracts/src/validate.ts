import type { Schema, Type } from "avsc";
import { avroTypeOf, DecimalType, describe } from "./avro.ts";
import type { Bar } from "./generated/Bar.ts";
import type { Tick } from "./generated/Tick.ts";
import { type Rule, rulesFor, type ValidateOptions, type ValidationIssue } from "./rules.ts";
import { topics } from "./topics.ts";

/** A checked value, or every problem found with it. */
export type Validation<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Record names and the topics whose value they are. */
export interface RecordTypes {
  Tick: Tick;
  Bar: Bar;
}

/** A record schema with its avsc type and the rules Avro cannot express. */
export interface RecordContract {
  name: string;
  schema: Schema;
  type: Type;
  rules: Rule;
}

const contracts = new Map<string, RecordContract>();
for (const topic of topics) {
  if (topic.value === "bytes") continue;
  const { schema } = topic.value;
  const { name: shortName, namespace } = schema as { name: string; namespace?: string };
  const name = namespace ? `${namespace}.${shortName}` : shortName;
  const contract = contracts.get(name) ?? {
    name,
    schema,
    type: avroTypeOf(schema),
    rules: rulesFor(name),
  };
  contracts.set(name, contract);
  contracts.set(shortName, contract);
  contracts.set(topic.name, contract);
}

/** The record contract for a topic name (`market.ticks`) or a record name (`Tick`). */
export function recordContract(topicOrType: string): RecordContract {
  const contract = contracts.get(topicOrType);
  if (!contract) {
    const known = [...contracts.keys()].join(", ");
    throw new Error(`no Avro record for ${JSON.stringify(topicOrType)}; known: ${known}`);
  }
  return contract;
}

/**
 * Checks a value in its Avro shape (decimals as strings, timestamps as micros) against the
 * schema (with field paths) and against the rules Avro cannot express (symbol pattern,
 * positive prices, bounded sizes and strings, no timestamps beyond now + skew, consistent OHLC...).
 * The one validator of the product: the producer, the consumer and ingest all call it.
 *
 * @example
 *   const result = validate("Tick", tick, { maxFutureSkewMs: 60_000 });
 *   if (!result.ok) result.issues; // [{ path: "eventTime", message: "must not be later than …" }]
 */
export function validate<K extends keyof RecordTypes>(
  type: K,
  value: unknown,
  options?: ValidateOptions,
): Validation<RecordTypes[K]>;
export function validate(
  topicOrType: string,
  value: unknown,
  options?: ValidateOptions,
): Validation<unknown>;
export function validate(
  topicOrType: string,
  value: unknown,
  options: ValidateOptions = {},
): Validation<unknown> {
  const contract = recordContract(topicOrType);
  const shape = options.decodedFromAvro
    ? options.decimalsFit
      ? NONE
      : decimalIssues(contract.type, value as Record<string, unknown>)
    : shapeIssues(contract.type, value);
  const issues =
    shape.length === 0 ? contract.rules(value as Record<string, unknown>, options) : shape;
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues: [...issues] };
}

/** Problems with a tick in its Avro shape; empty when it is valid. */
export function validateTick(value: unknown, options?: ValidateOptions): ValidationIssue[] {
  const result = validate("Tick", value, options);
  return result.ok ? [] : result.issues;
}

/** Problems with a bar in its Avro shape; empty when it is valid. */
export function validateBar(value: unknown): ValidationIssue[] {
  const result = validate("Bar", value);
  return result.ok ? [] : result.issues;
}

function shapeIssues(type: Type, value: unknown): ValidationIssue[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return [{ path: "", message: `expected a record, got ${describe(value)}` }];
  }
  const fields = new Set(
    (type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name),
  );
  const issues = Object.keys(value)
    .filter((key) => !fields.has(key))
    .map((key) => ({ path: key, message: "is not a field of this record" }));
  type.isValid(value, {
    errorHook: (path, found, fieldType) => {
      issues.push({ path: formatPath(path), message: mismatch(fieldType, found) });
    },
  });
  return issues;
}

/**
 * Decimals read from Avro bytes can carry more digits than the schema's precision allows (their
 * scale is the schema's by construction). Counting digits settles the usual case; only a value
 * with too many is parsed, for the message.
 */
function decimalIssues(type: Type, value: Record<string, unknown>): readonly ValidationIssue[] {
  let issues: ValidationIssue[] | undefined;
  for (const { name, decimal } of decimalFields(type)) {
    const text = value[name];
    if (text === null || text === undefined) continue;
    if (typeof text === "string" && significantDigits(text) <= decimal.precision) continue;
    const problem = decimal.problem(text);
    if (!problem) continue;
    issues ??= [];
    issues.push({ path: name, message: problem });
  }
  return issues ?? NONE;
}

/** No issues: shared, never pushed to (a valid record allocates no list). */
const NONE: readonly ValidationIssue[] = Object.freeze([]);

/** Digits of a plain decimal string, without sign, point or leading zeros ("-0012.50" → 4). */
function significantDigits(text: string): number {
  let count = 0;
  let leading = true;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    if (leading && code === 48) continue;
    leading = false;
    count += 1;
  }
  return count;
}

const decimalFieldCache = new WeakMap<Type, { name: string; decimal: DecimalType }[]>();
function decimalFields(type: Type) {
  let found = decimalFieldCache.get(type);
  if (!found) {
    found = [];
    for (const field of (type as unknown as { fields: { name: string; type: Type }[] }).fields) {
      const branches = (field.type as { types?: Type[] }).types ?? [field.type];
      const decimal = branches.find((branch) => branch instanceof DecimalType);
      if (decimal) found.push({ name: field.name, decimal: decimal as DecimalType });
    }
    decimalFieldCache.set(type, found);
  }
  return found;
}

/** `["records", "3", "price"]` → `records[3].price`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === "number" || /^\d+$/.test(part)) return `${text}[${part}]`;
    return text === "" ? part : `${text}.${part}`;
  }, "");
}

function mismatch(type: Type, found: unknown): string {
  if (found === undefined) return "is required";
  if (type instanceof DecimalType) return type.problem(found) ?? "invalid decimal";
  const branches = (type as { types?: Type[] }).types;
  if (branches) {
    const other = branches.find((branch) => branch.typeName !== "null");
    if (branches.length === 2 && other) {
      const detail = other instanceof DecimalType ? other.problem(found) : undefined;
      return detail ?? `expected null or ${expected(other)}, got ${describe(found)}`;
    }
  }
  return `expected ${expected(type)}, got ${describe(found)}`;
}

function expected(type: Type): string {
  const symbols = (type as { symbols?: string[] }).symbols;
  if (symbols) return `one of ${symbols.join(", ")}`;
  if (type.typeName === "long" || type.typeName === "int") return "an integer";
  if (type.typeName === "double" || type.typeName === "float") return "a number";
  return `a ${type.typeName}`;
}
