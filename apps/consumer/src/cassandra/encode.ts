/**
 * Column values in Cassandra's native protocol form, for the columns written per tick. The driver
 * passes a Buffer through unchanged, so the hot path skips its generic conversions (a decimal
 * string parsed into a BigDecimal of goog.math Integers, a number turned into a Long, a Date) —
 * byte for byte the same values it would send (`encode.test.ts` compares them with the driver's own
 * encoder). Partition-key columns stay typed values: the driver reads them for token-aware routing.
 */
import { unscaledToBytes } from "@repo/contracts";

const TWO_32 = 2 ** 32;

/** `bigint` (8-byte big-endian two's complement) of a safe integer. */
export function bigintBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not a safe integer: ${value}`);
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeInt32BE(Math.floor(value / TWO_32), 0);
  bytes.writeUInt32BE(value >>> 0, 4);
  return bytes;
}

/**
 * `bigint` bytes of `base × 1024 + tiebreak` (tiebreak in 0..1023), for write timestamps that must
 * stay ordered by `base` yet differ between two rows with the same base (exact beyond 2^53).
 */
export function versionBytes(base: number, tiebreak: number): Buffer {
  if (!Number.isSafeInteger(base)) throw new TypeError(`not a safe integer: ${base}`);
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigInt64BE(BigInt(base) * 1024n + BigInt(tiebreak & 1023), 0);
  return bytes;
}

/** `timestamp` (milliseconds since the epoch as a bigint) of a time in microseconds. */
export function timestampBytes(micros: number): Buffer {
  return bigintBytes(Math.floor(micros / 1000));
}

const PLAIN_DECIMAL = /^-?\d+(?:\.\d+)?$/;

/**
 * `decimal` (4-byte scale, then the unscaled value as a minimal two's-complement varint) of a plain
 * decimal string, with the scale the string has ("101.25" → scale 2, unscaled 10125), as the
 * driver's `BigDecimal.fromString` would.
 */
export function decimalBytes(text: string): Buffer {
  if (!PLAIN_DECIMAL.test(text))
    throw new TypeError(`not a plain decimal: ${JSON.stringify(text)}`);
  const dot = text.indexOf(".");
  const scale = dot < 0 ? 0 : text.length - dot - 1;
  const digits = dot < 0 ? text : text.slice(0, dot) + text.slice(dot + 1);
  // ≤ 15 digits are exact in a double; longer values take the bigint path.
  const unscaled =
    digits.length <= 15 ? safeIntegerBytes(Number(digits)) : unscaledToBytes(BigInt(digits));
  const bytes = Buffer.allocUnsafe(4 + unscaled.length);
  bytes.writeInt32BE(scale, 0);
  unscaled.copy(bytes, 4);
  return bytes;
}

/** Minimal two's-complement big-endian bytes of a safe integer (a CQL varint). */
function safeIntegerBytes(value: number): Buffer {
  let length = 1;
  // The smallest length whose signed range holds the value.
  while (value >= 2 ** (8 * length - 1) || value < -(2 ** (8 * length - 1))) length += 1;
  const bytes = Buffer.allocUnsafe(length);
  let rest = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    bytes[i] = ((rest % 256) + 256) % 256;
    rest = Math.floor(rest / 256);
  }
  return bytes;
}

/** `date` (days since the epoch, offset by 2^31, unsigned) of the UTC day containing `micros`. */
export function dateBytes(micros: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(Math.floor(micros / 86_400_000_000) + 2 ** 31, 0);
  return bytes;
}

/**
 * The routing key of a partition from its key columns' bytes, as Cassandra hashes it: the bytes
 * themselves for one column; for several, each as a 2-byte length, the bytes and a 0 byte.
 */
export function routingKey(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0] as Buffer;
  return Buffer.concat(
    parts.flatMap((part) => {
      const length = Buffer.allocUnsafe(2);
      length.writeUInt16BE(part.length, 0);
      return [length, part, Buffer.from([0])];
    }),
  );
}
