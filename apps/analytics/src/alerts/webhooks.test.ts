import { expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { signBody } from "./webhooks.ts";

test("the signature is HMAC-SHA256 of '<timestamp>.<body>' with the rule's secret, hex", () => {
  const body = '{"id":"r|1|cross_up"}';
  const expected = createHmac("sha256", "0123456789abcdef")
    .update(`1767225600.${body}`)
    .digest("hex");
  expect(signBody("0123456789abcdef", 1767225600, body)).toBe(`t=1767225600,v1=${expected}`);
  expect(signBody("0123456789abcdeX", 1767225600, body)).not.toBe(`t=1767225600,v1=${expected}`);
});
