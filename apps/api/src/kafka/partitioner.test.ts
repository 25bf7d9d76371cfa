import { describe, expect, test } from "bun:test";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32, partitionForKey } from "./partitioner.ts";

describe("the producer's partitioner (librdkafka consistent_random)", () => {
  test("CRC-32 matches the standard check value and zlib's", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    for (const key of ["AAPL", "MSFT", "BRK.B", "a", "ÅÄÖ-ticker"])
      expect(crc32(Buffer.from(key))).toBe(zlibCrc32(Buffer.from(key)) >>> 0);
  });

  test("a key's partition is crc32 % partitions; empty keys have none", () => {
    expect(partitionForKey("AAPL", 6)).toBe(zlibCrc32("AAPL") % 6);
    expect(partitionForKey("", 6)).toBeUndefined();
    expect(partitionForKey("AAPL", 0)).toBeUndefined();
  });
});
