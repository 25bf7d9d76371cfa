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

test("price-jump re-anchoring defaults to 3 agreeing ticks or 60 s and needs at least 2 ticks", () => {
  const config = loadIngestConfig({});
  expect(config.INGEST_PRICE_JUMP_REANCHOR_TICKS).toBe(3);
  expect(config.INGEST_PRICE_JUMP_REANCHOR_MS).toBe(60_000);
  expect(() => loadIngestConfig({ INGEST_PRICE_JUMP_REANCHOR_TICKS: "1" })).toThrow(
    /INGEST_PRICE_JUMP_REANCHOR_TICKS/,
  );
  expect(() => loadIngestConfig({ INGEST_PRICE_JUMP_REANCHOR_MS: "0" })).toThrow(
    /INGEST_PRICE_JUMP_REANCHOR_MS/,
  );
});
