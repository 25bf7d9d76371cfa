/**
 * Column values in Cassandra's native protocol form, for the columns the consumer writes per tick
 * (the row writers in `ticks.ts` and `bars.ts` bind them). The driver
 * passes a Buffer through unchanged, so the hot path skips its generic conversions (a decimal
 * string parsed into a BigDecimal of goog.math Integers, a number turned into a Long, a Date) —
 * byte for byte the same values it would send (`encode.test.ts` compares them with the driver's own
 * encoder). Partition-key columns stay typed values: the driver reads them for token-aware routing.
 */
import {
  parseDecimal,
  safeIntegerLength,
  unscaledNumber,
  unscaledToBytes,
  writeSafeInteger,
} from "@repo/contracts";
import { DAY_US } from "../time.ts";

const TWO_32 = 2 ** 32;

/** Small counts a feed repeats (trade and quote sizes: round and odd lots) get shared bytes. */
const SMALL_BIGINTS = 1024;
const smallBigints: (Buffer | undefined)[] = new Array(SMALL_BIGINTS).fill(undefined);

/**
 * `bigint` (8-byte big-endian two's complement) of a safe integer. A value in [0, 1024) (most sizes:
 * lots of 1–1,000 shares) is the same Buffer each time, as {@link textBytes} shares a text's: the
 * driver copies bound bytes into its request and never writes to them.
 */
export function bigintBytes(value: number): Buffer {
  if (value >= 0 && value < SMALL_BIGINTS && Number.isInteger(value)) {
    let shared = smallBigints[value];
    if (shared === undefined) {
      shared = Buffer.alloc(8);
      shared.writeUInt32BE(value, 4);
      smallBigints[value] = shared;
    }
    return shared;
  }
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

/** Distinct texts {@link textBytes} keeps at most before it starts over. */
const TEXT_CACHE_LIMIT = 4096;
const textCache = new Map<string, Buffer>();

/**
 * `text` (UTF-8 bytes) of a value a feed repeats (a source, a kind, an exchange code): the same
 * Buffer each time, so a row allocates none for them (the driver copies bound bytes into its
 * request and never writes to them). Bounded: past {@link TEXT_CACHE_LIMIT} texts it starts over.
 */
export function textBytes(text: string): Buffer {
  let bytes = textCache.get(text);
  if (bytes === undefined) {
    if (textCache.size >= TEXT_CACHE_LIMIT) textCache.clear();
    bytes = Buffer.from(text, "utf8");
    textCache.set(text, bytes);
  }
  return bytes;
}

/** `timestamp` (milliseconds since the epoch as a bigint) of a time in microseconds. */
export function timestampBytes(micros: number): Buffer {
  return bigintBytes(Math.floor(micros / 1000));
}

/**
 * `decimal` (4-byte scale, then the unscaled value as a minimal two's-complement varint) of a plain
 * decimal string, with the scale the string has ("101.25" → scale 2, unscaled 10125), as the
 * driver's `BigDecimal.fromString` would. One allocation and no BigInt for the usual price (≤ 15
 * digits, `unscaledNumber`); longer values take `parseDecimal`'s bigint path. A number is a count
 * of millionths (`DecimalValue`): the bytes of its canonical text, made without the text
 * (187250000 → those of "187.25": scale 2, unscaled 18725).
 */
export function decimalBytes(value: string | number): Buffer {
  if (typeof value === "number") return millionthsBytes(value);
  const text = value;
  const point = text.indexOf(".");
  const scale = point < 0 ? 0 : text.length - point - 1;
  const short = unscaledNumber(text, scale, text.length);
  if (short !== undefined) return safeDecimalBytes(scale, short);
  const parsed = parseDecimal(text, scale, Math.max(1, text.length));
  if (!parsed.ok) throw new TypeError(`not a plain decimal: ${JSON.stringify(text)}`);
  const unscaled = unscaledToBytes(parsed.unscaled);
  const bytes = Buffer.allocUnsafe(4 + unscaled.length);
  bytes.writeInt32BE(scale, 0);
  unscaled.copy(bytes, 4);
  return bytes;
}

/** Decimal places of a count of millionths. */
const MILLIONTHS_SCALE = 6;

/**
 * {@link decimalBytes} of a safe integer count of millionths: trailing zeros of the fraction
 * dropped first, so the scale is the canonical text's (as `formatUnits` writes it).
 */
function millionthsBytes(millionths: number): Buffer {
  if (!Number.isSafeInteger(millionths)) {
    throw new TypeError(`not a safe integer count of millionths: ${millionths}`);
  }
  let unscaled = millionths;
  let scale = MILLIONTHS_SCALE;
  while (scale > 0 && unscaled % 10 === 0) {
    unscaled /= 10;
    scale -= 1;
  }
  return safeDecimalBytes(scale, unscaled);
}

/** `decimal` bytes of a scale and a safe integer unscaled value, in one allocation. */
function safeDecimalBytes(scale: number, unscaled: number): Buffer {
  const size = safeIntegerLength(unscaled);
  const bytes = Buffer.allocUnsafe(4 + size);
  bytes.writeInt32BE(scale, 0);
  writeSafeInteger(bytes, 4, unscaled, size);
  return bytes;
}

/**
 * `date` (days since the epoch, offset by 2^31, unsigned) of the UTC day containing `micros`: the
 * bytes of {@link partitionDay}, for routing keys.
 */
export function dateBytes(micros: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(Math.floor(micros / DAY_US) + 2 ** 31, 0);
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
