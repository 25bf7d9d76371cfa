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

test("the operations settings are checked at start-up: URLs, the ingest token (never echoed), timeouts", () => {
  const config = loadApiConfig({});
  expect(config.INGEST_URL).toBe("http://127.0.0.1:3001");
  expect(config.PROMETHEUS_URL).toBe("http://127.0.0.1:9090");
  expect(config.API_JOB_WINDOW_MS).toBe(60_000);
  expect(() => loadApiConfig({ INGEST_URL: "ingest:3001" })).toThrow("INGEST_URL");
  expect(() => loadApiConfig({ PROMETHEUS_URL: "nowhere" })).toThrow("PROMETHEUS_URL");
  expect(() => loadApiConfig({ API_UPSTREAM_TIMEOUT_MS: "50" })).toThrow("API_UPSTREAM_TIMEOUT_MS");
  let message = "";
  try {
    loadApiConfig({ INGEST_OPERATOR_TOKEN: "tiny-secret" });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toContain("INGEST_OPERATOR_TOKEN");
  expect(message).not.toContain("tiny-secret");
});
