import type { FakeAlpaca } from "./fake-alpaca.ts";

/**
 * Ingest's variables for its Alpaca provider pointed at the stand-in `fake`: its keys, its stream
 * and data URLs, and a rate budget of `ratePerMinute` requests.
 *
 * @example
 *   await startService("ingest", { ...fakeAlpacaEnv(fake), INGEST_PROVIDERS: "alpaca", ALPACA_MODE: "stream" });
 */
export function fakeAlpacaEnv(fake: FakeAlpaca, ratePerMinute = 6000): Record<string, string> {
  return {
    ALPACA_API_KEY_ID: fake.keyId,
    ALPACA_API_SECRET_KEY: fake.secretKey,
    ALPACA_STREAM_URL: fake.streamUrl,
    ALPACA_DATA_URL: fake.dataUrl,
    ALPACA_RATE_PER_MINUTE: String(ratePerMinute),
  };
}
