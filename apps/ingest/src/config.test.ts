import { expect, test } from "bun:test";
import { ConfigError } from "@repo/platform/config";
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
  expect(() => loadIngestConfig({ INGEST_PROVIDERS: "finnhub" })).toThrow(
    /FINNHUB_API_KEY \(unset\): required by INGEST_PROVIDERS/,
  );
  expect(() => loadIngestConfig({ INGEST_PROVIDERS: "replay" })).toThrow(/REPLAY_FILE \(unset\)/);
  expect(() =>
    loadIngestConfig({ INGEST_PROVIDERS: "replay", REPLAY_FILE: "/no/such/recording.ndjson" }),
  ).toThrow(/REPLAY_FILE \(\/no\/such\/recording.ndjson\): no such file/);
  expect(() => loadIngestConfig({ INGEST_PROVIDERS: "nosuchprovider" })).toThrow(
    /INGEST_PROVIDERS/,
  );
  const missingToken = () =>
    loadIngestConfig({
      INGEST_PROVIDERS: "tiingo",
      TIINGO_API_TOKEN: "",
      ALPACA_API_SECRET_KEY: "s3cr3t",
    });
  expect(missingToken).toThrow(/TIINGO_API_TOKEN/);
  expect(missingToken).not.toThrow(/s3cr3t/);
});

test("a batch larger than the producer's record limit fails start-up naming INGEST_BATCH_SIZE", () => {
  expect(loadIngestConfig({ INGEST_BATCH_SIZE: "1000" }).INGEST_BATCH_SIZE).toBe(1000);
  expect(() => loadIngestConfig({ INGEST_BATCH_SIZE: "1001" })).toThrow(
    /INGEST_BATCH_SIZE \(1001\): must be at most INGEST_PRODUCER_MAX_RECORDS \(1000\)/,
  );
  expect(() =>
    loadIngestConfig({ INGEST_BATCH_SIZE: "500", INGEST_PRODUCER_MAX_RECORDS: "200" }),
  ).toThrow(ConfigError);
});

test("the forward timeout outlasts the producer's delivery timeout by default and must do so", () => {
  const config = loadIngestConfig({});
  expect(config.INGEST_FORWARD_TIMEOUT_MS).toBe(45_000);
  expect(config.INGEST_FORWARD_TIMEOUT_MS).toBeGreaterThan(
    config.INGEST_PRODUCER_DELIVERY_TIMEOUT_MS,
  );
  expect(() => loadIngestConfig({ INGEST_FORWARD_TIMEOUT_MS: "30000" })).toThrow(
    /INGEST_FORWARD_TIMEOUT_MS \(30000\): must be longer than INGEST_PRODUCER_DELIVERY_TIMEOUT_MS \(30000\)/,
  );
  expect(() =>
    loadIngestConfig({
      INGEST_FORWARD_TIMEOUT_MS: "20000",
      INGEST_PRODUCER_DELIVERY_TIMEOUT_MS: "10000",
    }),
  ).not.toThrow();
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

test("Alpaca streams by default; provider URLs must be https/wss except on loopback", () => {
  const config = loadIngestConfig({});
  expect(config.ALPACA_MODE).toBe("stream");
  expect(config.ALPACA_STREAM_URL).toBe("wss://stream.data.alpaca.markets");
  expect(config.FINNHUB_STREAM_URL).toBe("wss://ws.finnhub.io");
  expect(config.ALPACA_GAP_RECOVERY).toEqual(["trades", "quotes"]);
  expect(
    loadIngestConfig({
      ALPACA_STREAM_URL: "ws://127.0.0.1:4000",
      ALPACA_DATA_URL: "http://localhost:4000",
      FINNHUB_STREAM_URL: "ws://127.0.0.1:4001",
    }).ALPACA_STREAM_URL,
  ).toBe("ws://127.0.0.1:4000");
  expect(() => loadIngestConfig({ ALPACA_STREAM_URL: "ws://stream.example.com" })).toThrow(
    /ALPACA_STREAM_URL .*must use wss:/,
  );
  expect(() => loadIngestConfig({ ALPACA_DATA_URL: "http://data.example.com" })).toThrow(
    /ALPACA_DATA_URL .*must use https:/,
  );
  expect(() => loadIngestConfig({ TIINGO_BASE_URL: "ftp://127.0.0.1" })).toThrow(/TIINGO_BASE_URL/);
});

test("Alpaca streams on one connection: more connections are refused at start-up, more symbols than the plan streams are accepted (the rest are polled)", () => {
  const keys = { ALPACA_API_KEY_ID: "k", ALPACA_API_SECRET_KEY: "s", INGEST_PROVIDERS: "alpaca" };
  const many = Array.from({ length: 40 }, (_, i) => `S${i}`).join(",");
  const config = loadIngestConfig({ ...keys, ALPACA_SYMBOLS: many });
  expect(config.ALPACA_PLAN_SYMBOL_LIMIT).toBe(30);
  expect(config.ALPACA_RATE_PER_MINUTE).toBe(200);
  expect(() => loadIngestConfig({ ...keys, ALPACA_STREAM_MAX_CONNECTIONS: "2" })).toThrow(
    /ALPACA_STREAM_MAX_CONNECTIONS \(2\): must be 1/,
  );
  expect(() => loadIngestConfig({ ...keys, ALPACA_STREAM_MAX_SYMBOLS: "60" })).toThrow(
    /replaced by ALPACA_PLAN_SYMBOL_LIMIT/,
  );
  expect(() => loadIngestConfig({ ...keys, ALPACA_FEED: "sip" })).toThrow(/ALPACA_FEED \(sip\)/);
  const plus = loadIngestConfig({ ...keys, ALPACA_FEED: "sip", ALPACA_PLAN: "algo_trader_plus" });
  expect(plus.ALPACA_RATE_PER_MINUTE).toBe(10_000);
  expect(plus.ALPACA_PLAN_SYMBOL_LIMIT).toBeGreaterThan(10_000);
  const delayed = loadIngestConfig({ ...keys, ALPACA_FEED: "delayed_sip" });
  expect(delayed.ALPACA_FEED_DELAY_MS).toBe(900_000);
  expect(delayed.ALPACA_HISTORY_DELAY_MS).toBe(900_000);
  expect(loadIngestConfig({ ...keys, ALPACA_FEED: "test" }).ALPACA_SYMBOLS).toEqual(["FAKEPACA"]);
  const finnhub = { FINNHUB_API_KEY: "f", INGEST_PROVIDERS: "finnhub" };
  expect(() =>
    loadIngestConfig({
      ...finnhub,
      FINNHUB_SYMBOLS: Array.from({ length: 51 }, (_, i) => `S${i}`).join(","),
    }),
  ).toThrow(/FINNHUB_SYMBOLS \(51 symbols\): more than FINNHUB_PLAN_SYMBOL_LIMIT \(50\)/);
});
