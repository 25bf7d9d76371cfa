import avro, { type ForSchemaOptions, type Schema, type Type } from "avsc";
import {
  bytesToUnscaled,
  formatDecimal,
  parseDecimal,
  safeIntegerBytes,
  unscaledNumber,
  unscaledToBytes,
} from "./decimal.ts";

interface DecimalAttributes {
  precision?: number;
  scale?: number;
}

type CheckHook = (value: unknown, type: Type) => void;
/** avsc's own check of a logical type (not in its type declarations): `_toValue`, then the bytes. */
const logicalCheck = (
  avro.types.LogicalType.prototype as unknown as {
    _check(value: unknown, flags?: unknown, hook?: CheckHook, path?: string[]): boolean;
  }
)._check;

/**
 * avsc logical type for `{"type": "bytes", "logicalType": "decimal"}`: the app sees a canonical
 * decimal string, the wire carries the two's-complement big-endian unscaled integer.
 * Values with more decimals than `scale` or more digits than `precision` are invalid.
 */
export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  /** The most bytes a two's-complement integer of `precision` digits needs (8 for 18 digits). */
  readonly maxBytes: number;

  constructor(schema: Schema, opts?: Partial<ForSchemaOptions>) {
    super(schema, opts);
    const { precision, scale = 0 } = schema as DecimalAttributes;
    if (precision === undefined) throw new Error("decimal logical type needs a precision");
    this.precision = precision;
    this.scale = scale;
    this.maxBytes = Math.ceil((precision * Math.log2(10) + 1) / 8);
  }

  /** Why `value` is not a valid decimal of this type, or undefined when it is. */
  problem(value: unknown): string | undefined {
    if (typeof value !== "string") return `expected a decimal string, got ${describe(value)}`;
    if (unscaledNumber(value, this.scale, this.precision) !== undefined) return undefined;
    const parsed = parseDecimal(value, this.scale, this.precision);
    return parsed.ok ? undefined : parsed.message;
  }

  /**
   * Refuses bytes too long for the precision before converting them: any Kafka client can write a
   * megabyte-long decimal, and turning it into a number and text would cost seconds of CPU.
   */
  protected override _fromValue(bytes: Buffer): string {
    if (bytes.length > this.maxBytes) {
      throw new Error(
        `decimal of ${bytes.length} bytes cannot fit decimal(${this.precision}, ${this.scale}) (at most ${this.maxBytes} bytes)`,
      );
    }
    return formatDecimal(bytesToUnscaled(bytes), this.scale);
  }

  /**
   * Whether `value` is a valid decimal of this type (`hook` hears of it when not). avsc asks every
   * logical branch of a union whether it takes a value, so a nullable decimal is asked about every
   * null, and its own check learns "no" from the exception `_toValue` throws. Building that
   * exception (its stack trace) for the null `bid` and `ask` of every trade, in validation and again
   * in encoding, was 42 % of the producer's CPU; anything but a string is answered without one.
   */
  _check(value: unknown, flags?: unknown, hook?: CheckHook, path?: string[]): boolean {
    if (typeof value !== "string") {
      hook?.(value, this);
      return false;
    }
    return logicalCheck.call(this, value, flags, hook, path);
  }

  /** The bytes of a decimal string, each value parsed once: the short path, else `parseDecimal`. */
  protected override _toValue(value: unknown): Buffer {
    if (typeof value !== "string") throw new Error(this.problem(value));
    const short = unscaledNumber(value, this.scale, this.precision);
    if (short !== undefined) return safeIntegerBytes(short);
    const parsed = parseDecimal(value, this.scale, this.precision);
    if (!parsed.ok) throw new Error(parsed.message);
    return unscaledToBytes(parsed.unscaled);
  }

  /** Reading data written as the same decimal (already a string) or as plain bytes. */
  protected override _resolve(type: Type): ((written: string | Buffer) => string) | undefined {
    if (type instanceof DecimalType && type.scale === this.scale) return (text) => text as string;
    if (type.typeName === "bytes") return (bytes) => this._fromValue(bytes as Buffer);
    return undefined;
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (Buffer.isBuffer(value)) return "bytes";
  if (value === null || typeof value !== "object") return `${typeof value} ${String(value)}`;
  return Array.isArray(value) ? "an array" : "an object";
}

/**
 * avsc `forSchema` options shared by every producer, consumer and test: decimals as exact
 * strings, longs and timestamp-micros as numbers (microseconds since the epoch).
 * Pass as `new SchemaRegistry({ host }, { [SchemaType.AVRO]: avroOptions })` (that client copies
 * it). avsc's `Type.forSchema` writes its name registry into the options it is given, so when
 * calling avsc directly pass a copy (`{ ...avroOptions }`) or use {@link avroTypeOf}; a shared
 * registry makes the second version of a schema fail with "duplicate type name".
 */
export const avroOptions: Partial<ForSchemaOptions> = {
  logicalTypes: { decimal: DecimalType },
  omitRecordMethods: true,
};

/** Builds the avsc type of a schema with {@link avroOptions}. */
export function avroTypeOf(schema: Schema): Type {
  return avro.Type.forSchema(schema, { ...avroOptions });
}
