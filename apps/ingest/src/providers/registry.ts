import type { Logger } from "@repo/platform/log";
import { Cron } from "croner";
import type { IngestConfig, ProviderName } from "../config.ts";
import { createAlpacaProvider } from "./alpaca.ts";
import type { Provider } from "./provider.ts";
import { createSimulator } from "./simulator.ts";
import { createTiingoProvider } from "./tiingo.ts";

export interface ConfiguredProvider {
  provider: Provider;
  cron: string;
  regularHoursOnly: boolean;
}

/**
 * The providers named by INGEST_PROVIDERS, each with its schedule. Add a provider here.
 *
 * @example
 *   createProviders(loadIngestConfig(), log).map((p) => p.provider.name); // ["simulator"]
 */
export function createProviders(config: IngestConfig, log: Logger): ConfiguredProvider[] {
  const shared = {
    log,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    retries: config.PROVIDER_RETRIES,
    minRetryDelayMs: config.PROVIDER_RETRY_MIN_MS,
    breakerThreshold: config.PROVIDER_BREAKER_THRESHOLD,
    breakerResetMs: config.PROVIDER_BREAKER_RESET_MS,
  };
  const factories: Record<ProviderName, () => ConfiguredProvider> = {
    simulator: () => ({
      provider: createSimulator({
        seed: config.SIMULATOR_SEED,
        symbols: config.SIMULATOR_SYMBOLS,
        limit: config.SIMULATOR_LIMIT,
        ticksPerPoll: Math.max(
          1,
          Math.round(config.SIMULATOR_RATE * intervalSeconds(config.SIMULATOR_CRON)),
        ),
      }),
      cron: config.SIMULATOR_CRON,
      regularHoursOnly: config.SIMULATOR_REGULAR_HOURS_ONLY,
    }),
    alpaca: () => ({
      provider: createAlpacaProvider({
        ...shared,
        baseUrl: config.ALPACA_DATA_URL,
        keyId: config.ALPACA_API_KEY_ID ?? "",
        secretKey: config.ALPACA_API_SECRET_KEY ?? "",
        feed: config.ALPACA_FEED,
        symbols: config.ALPACA_SYMBOLS,
        ratePerSecond: config.ALPACA_RATE_PER_MINUTE / 60,
      }),
      cron: config.ALPACA_CRON,
      regularHoursOnly: config.ALPACA_REGULAR_HOURS_ONLY,
    }),
    tiingo: () => ({
      provider: createTiingoProvider({
        ...shared,
        baseUrl: config.TIINGO_BASE_URL,
        token: config.TIINGO_API_TOKEN ?? "",
        symbols: config.TIINGO_SYMBOLS,
        ratePerSecond: config.TIINGO_RATE_PER_HOUR / 3600,
        burst: 1,
      }),
      cron: config.TIINGO_CRON,
      regularHoursOnly: config.TIINGO_REGULAR_HOURS_ONLY,
    }),
  };
  return config.INGEST_PROVIDERS.map((name) => factories[name]());
}

/** Seconds between two runs of a cron expression (1 for `* * * * * *`). */
export function intervalSeconds(cron: string): number {
  const job = new Cron(cron, { paused: true });
  const [first, second] = job.nextRuns(2);
  job.stop();
  return first && second ? (second.getTime() - first.getTime()) / 1000 : 1;
}
