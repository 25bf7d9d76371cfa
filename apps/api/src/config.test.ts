import { expect, test } from "bun:test";
import { loadApiConfig } from "./config.ts";

test("without API_CURSOR_KEY each process signs cursors with its own random key", () => {
  const a = loadApiConfig({}).cursorKey;
  const b = loadApiConfig({}).cursorKey;
  expect(a.length).toBe(32);
  expect(a.equals(b)).toBe(false);
  expect(loadApiConfig({ API_CURSOR_KEY: "k".repeat(32) }).cursorKey.toString()).toBe(
    "k".repeat(32),
  );
});

test("a short cursor key or a bad operator token fails start-up naming the variable, not the value", () => {
  expect(() => loadApiConfig({ API_CURSOR_KEY: "short-secret" })).toThrow(
    "API_CURSOR_KEY (<redacted>): must be at least 32 characters",
  );
  let message = "";
  try {
    loadApiConfig({ API_OPERATOR_TOKENS: "ops:tiny-secret" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toContain("API_OPERATOR_TOKENS (<redacted>): entry 1 (ops): the token must be");
  expect(message).not.toContain("tiny-secret");
  expect(
    loadApiConfig({ API_OPERATOR_TOKENS: "ops:0123456789abcdef0123" }).operatorTokens,
  ).toHaveLength(1);
});
