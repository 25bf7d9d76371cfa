import { describe, expect, test } from "bun:test";
import type { Message } from "@confluentinc/kafka-javascript";
import { toConsumedRecord, toRecordWithoutHeaders } from "./record.ts";

const message = (overrides: Partial<Message> = {}): Message => ({
  topic: "market.ticks",
  partition: 2,
  offset: 41,
  key: Buffer.from("AAPL"),
  value: Buffer.from("body"),
  size: 4,
  timestamp: 1_767_623_400_000,
  ...overrides,
});

describe("librdkafka messages as consumed records", () => {
  test("a record keeps topic, partition, offset, value and timestamp; a string key becomes its bytes and a missing key null", () => {
    expect(toRecordWithoutHeaders(message({ key: "MSFT" }))).toEqual({
      topic: "market.ticks",
      partition: 2,
      offset: 41,
      key: Buffer.from("MSFT"),
      value: Buffer.from("body"),
      timestamp: 1_767_623_400_000,
    });
    expect(toRecordWithoutHeaders(message({ key: undefined })).key).toBeNull();
    expect(toRecordWithoutHeaders(message({ key: null })).key).toBeNull();
  });

  test("the consumer's records carry no headers; the readers' carry every header in record order, string values as bytes", () => {
    const withHeaders = message({
      headers: [{ "dlq.reason": "decode" }, { "dlq.offset": Buffer.from("7"), again: "x" }],
    });
    expect("headers" in toRecordWithoutHeaders(withHeaders)).toBe(false);
    expect(toConsumedRecord(withHeaders).headers).toEqual([
      ["dlq.reason", Buffer.from("decode")],
      ["dlq.offset", Buffer.from("7")],
      ["again", Buffer.from("x")],
    ]);
    expect(toConsumedRecord(message()).headers).toEqual([]);
  });
});
