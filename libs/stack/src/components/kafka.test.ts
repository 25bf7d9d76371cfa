import { expect, test } from "bun:test";
import { clusterId } from "./kafka.ts";

test("cluster ids are 22 URL-safe base64 characters and never begin with '-' (kafka-storage would read an option)", () => {
  // With a plain random id, 1 in 64 begins with '-': 10,000 of them include one all but surely.
  const ids = Array.from({ length: 10_000 }, clusterId);
  expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});
