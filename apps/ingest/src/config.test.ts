import { expect, test } from "bun:test";
import { loadIngestConfig } from "./config.ts";

test("defaults run the simulator against the local producer", () => {
  const config = loadIngestConfig({});
  expect(config.INGEST_PROVIDERS).toEqual(["simulator"]);
  expect(config.PRODUCER_URL).toBe("http://127.0.0.1:3002");
  expect(config.PORT).toBe(3001);
  expect(config.INGEST_TIMEZONE).toBe("America/New_York");
});

test("an active provider without its key fails naming the variable, never printing secrets", () => {
  expect(() =>
    loadIngestConfig({ INGEST_PROVIDERS: "simulator,alpaca", ALPACA_API_SECRET_KEY: "s3cr3t" }),
  ).toThrow(/ALPACA_API_KEY_ID \(unset\): required by INGEST_PROVIDERS/);
  expect(() => loadIngestConfig({ INGEST_PROVIDERS: "finnhub" })).toThrow(/INGEST_PROVIDERS/);
  try {
    loadIngestConfig({
      INGEST_PROVIDERS: "tiingo",
      TIINGO_API_TOKEN: "",
      ALPACA_API_SECRET_KEY: "s3cr3t",
    });
  } catch (error) {
    expect(String(error)).toContain("TIINGO_API_TOKEN");
    expect(String(error)).not.toContain("s3cr3t");
  }
});
