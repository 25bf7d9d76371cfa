/**
 * The producer's partitioner, computed here so a key's partition is known without producing.
 *
 * apps/producer uses librdkafka (`@repo/kafka-node`) without setting `partitioner`, so librdkafka's
 * default applies: `consistent_random` — a non-empty key goes to `crc32(key) % partitions` (CRC-32
 * as in zlib: reflected polynomial 0xEDB88320), an empty or null key to a random partition. This is
 * NOT the Java client's murmur2 (nor @platformatic/kafka's default), so records keyed by symbol
 * land where this function says only for librdkafka producers with the default partitioner.
 * `test/kafka.test.ts` proves it against the real producer.
 */

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (zlib/IEEE) of the bytes, as an unsigned 32-bit integer.
 *
 * @example
 *   crc32(Buffer.from("123456789")); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The partition librdkafka's `consistent_random` partitioner picks for a non-empty key, or
 * undefined for an empty key (which it places at random).
 *
 * @example
 *   partitionForKey("AAPL", 6); // the partition every AAPL tick of the producer is on
 */
export function partitionForKey(key: string | Uint8Array, partitions: number): number | undefined {
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key;
  if (bytes.length === 0 || partitions <= 0) return undefined;
  return crc32(bytes) % partitions;
}
