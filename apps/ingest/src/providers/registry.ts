import type { Logger } from "@repo/platform/log";
import { Cron } from "croner";
import type { IngestConfig, ProviderName } from "../config.ts";
import type { ConnectionTimings, MarketClock } from "../stream/connection.ts";
import { createWebSocketProvider } from "../stream/websocket-provider.ts";
import { createAlpacaProvider } from "./alpaca.ts";
import { type AlpacaHistoryKind, createAlpacaHistory } from "./alpaca-history.ts";
import { alpacaProtocol, DEFAULT_TRADE_INDEX } from "./alpaca-stream.ts";
import { finnhubProtocol } from "./finnhub.ts";
import { createHttpSource } from "./http-source.ts";
import type { Provider, StreamProvider } from "./provider.ts";
import { sharedRateBudget } from "./rate-budget.ts";
import { createReplayProvider } from "./replay.ts";
import { createSimulator } from "./simulator.ts";
import { createTiingoProvider } from "./tiingo.ts";
import { createTradeIndex } from "./trade-index.ts";

/** A provider polled on a croner schedule, or one that streams on its own. */
export type ConfiguredProvider =
  | { kind: "poll"; provider: Provider; cron: string; regularHoursOnly: boolean }
  | { kind: "stream"; provider: StreamProvider };

/** The reconnect and liveness settings every WebSocket provider shares. */
export function streamTimings(config: IngestConfig): ConnectionTimings {
  return {
    connectTimeoutMs: config.INGEST_STREAM_CONNECT_TIMEOUT_MS,
    pingIntervalMs: config.INGEST_STREAM_PING_MS,
    staleAfterMs: config.INGEST_STREAM_STALE_MS,
    reconnectMinMs: config.INGEST_STREAM_RECONNECT_MIN_MS,
    reconnectMaxMs: config.INGEST_STREAM_RECONNECT_MAX_MS,
    limitWaitMs: config.INGEST_STREAM_LIMIT_WAIT_MS,
    limitShortRetries: config.INGEST_STREAM_LIMIT_SHORT_RETRIES,
    limitRetryMs: config.INGEST_STREAM_LIMIT_RETRY_MS,
    stableAfterMs: config.INGEST_STREAM_STABLE_MS,
  };
}

/**
 * The account's one REST budget in this process (ALPACA_RATE_PER_MINUTE, paused on 429 until
 * `X-Ratelimit-Reset`): polling, overflow polling, gap recovery and the backfill share it.
 *
 * @example
 *   const budget = alpacaBudget(config);
 */
export function alpacaBudget(config: IngestConfig) {
  return sharedRateBudget(
    `alpaca:${config.ALPACA_API_KEY_ID ?? ""}`,
    config.ALPACA_RATE_PER_MINUTE,
  );
}

/**
 * The Alpaca REST history (trades and quotes) used by gap recovery and the backfill CLI.
 *
 * @example
 *   const history = alpacaHistoryFor(config, log, ["trades"]);
 */
export function alpacaHistoryFor(
  config: IngestConfig,
  log: Logger,
  kinds: readonly AlpacaHistoryKind[],
) {
  return createAlpacaHistory({
    dataUrl: config.ALPACA_DATA_URL,
    feed: config.ALPACA_FEED,
    keyId: config.ALPACA_API_KEY_ID ?? "",
    secretKey: config.ALPACA_API_SECRET_KEY ?? "",
    kinds,
    recentLimitMs: config.ALPACA_HISTORY_DELAY_MS,
    http: createHttpSource({
      name: "alpaca-history",
      log,
      budget: alpacaBudget(config),
      ratePerSecond: config.ALPACA_RATE_PER_MINUTE / 60,
      timeoutMs: Math.max(config.PROVIDER_TIMEOUT_MS, 15_000),
      retries: config.PROVIDER_RETRIES,
      minRetryDelayMs: config.PROVIDER_RETRY_MIN_MS,
      breakerThreshold: config.PROVIDER_BREAKER_THRESHOLD,
      breakerResetMs: config.PROVIDER_BREAKER_RESET_MS,
    }),
  });
}

/**
 * The providers named by INGEST_PROVIDERS: polling ones with their schedule, streaming ones
 * (Alpaca in `stream` mode, Finnhub, replay) ready to start. Add a provider here.
 *
 * @example
 *   createProviders(loadIngestConfig(), log).map((p) => p.provider.name); // ["simulator"]
 */
export function createProviders(
  config: IngestConfig,
  log: Logger,
  options: { clock?: MarketClock } = {},
): ConfiguredProvider[] {
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
      kind: "poll",
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
    alpaca: () =>
      config.ALPACA_MODE === "stream"
        ? alpacaStream()
        : {
            kind: "poll",
            provider: createAlpacaProvider({
              ...shared,
              baseUrl: config.ALPACA_DATA_URL,
              keyId: config.ALPACA_API_KEY_ID ?? "",
              secretKey: config.ALPACA_API_SECRET_KEY ?? "",
              feed: config.ALPACA_FEED,
              symbols: config.ALPACA_SYMBOLS,
              ratePerSecond: config.ALPACA_RATE_PER_MINUTE / 60,
              budget: alpacaBudget(config),
            }),
            cron: config.ALPACA_CRON,
            regularHoursOnly: config.ALPACA_REGULAR_HOURS_ONLY,
          },
    tiingo: () => ({
      kind: "poll",
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
    finnhub: () => ({
      kind: "stream",
      provider: createWebSocketProvider({
        name: "finnhub",
        symbols: config.FINNHUB_SYMBOLS,
        planSymbolLimit: config.FINNHUB_PLAN_SYMBOL_LIMIT,
        planLimitVariable: "FINNHUB_PLAN_SYMBOL_LIMIT",
        protocol: (symbols) =>
          finnhubProtocol({
            streamUrl: config.FINNHUB_STREAM_URL,
            token: config.FINNHUB_API_KEY ?? "",
            symbols,
          }),
        regularHoursOnly: config.FINNHUB_REGULAR_HOURS_ONLY,
        timings: streamTimings(config),
        gapOverlapMs: config.INGEST_GAP_OVERLAP_MS,
        gapMaxMs: config.INGEST_GAP_MAX_MS,
        clock: options.clock,
        log,
      }),
    }),
    replay: () => ({
      kind: "stream",
      provider: createReplayProvider({
        file: config.REPLAY_FILE ?? "",
        speed: config.REPLAY_SPEED,
        shiftTime: config.REPLAY_SHIFT_TIME,
        loop: config.REPLAY_LOOP,
        log,
      }),
    }),
  };

  function alpacaStream(): ConfiguredProvider {
    // The test stream (v2/test, FAKEPACA) is open at every hour and has no REST data.
    const test = config.ALPACA_FEED === "test";
    const kinds = config.ALPACA_GAP_RECOVERY.filter((kind) => kind !== "off");
    const keys = {
      keyId: config.ALPACA_API_KEY_ID ?? "",
      secretKey: config.ALPACA_API_SECRET_KEY ?? "",
    };
    // One index for every session of the provider: a cancel after a reconnect still resolves.
    const alpacaTrades = createTradeIndex(DEFAULT_TRADE_INDEX);
    const snapshots = createAlpacaProvider({
      ...shared,
      ...keys,
      baseUrl: config.ALPACA_DATA_URL,
      feed: config.ALPACA_FEED,
      symbols: config.ALPACA_SYMBOLS.slice(config.ALPACA_PLAN_SYMBOL_LIMIT),
      ratePerSecond: config.ALPACA_RATE_PER_MINUTE / 60,
      budget: alpacaBudget(config),
    });
    return {
      kind: "stream",
      provider: createWebSocketProvider({
        name: "alpaca",
        symbols: config.ALPACA_SYMBOLS,
        planSymbolLimit: config.ALPACA_PLAN_SYMBOL_LIMIT,
        planLimitVariable: "ALPACA_PLAN_SYMBOL_LIMIT",
        protocol: (symbols) =>
          alpacaProtocol({
            ...keys,
            trades: alpacaTrades,
            streamUrl: config.ALPACA_STREAM_URL,
            feed: config.ALPACA_FEED,
            symbols,
            planLimitVariable: "ALPACA_PLAN_SYMBOL_LIMIT",
          }),
        history:
          !test && kinds.length > 0 && !config.ALPACA_GAP_RECOVERY.includes("off")
            ? alpacaHistoryFor(config, log, kinds as AlpacaHistoryKind[])
            : undefined,
        overflow: test
          ? undefined
          : {
              poll: (_symbols, signal) => snapshots.poll(signal),
              intervalMs: config.ALPACA_OVERFLOW_POLL_MS,
            },
        regularHoursOnly: config.ALPACA_REGULAR_HOURS_ONLY && !test,
        timings: streamTimings(config),
        gapOverlapMs: config.INGEST_GAP_OVERLAP_MS,
        gapMaxMs: config.INGEST_GAP_MAX_MS,
        clock: options.clock,
        log,
      }),
    };
  }
  return config.INGEST_PROVIDERS.map((name) => factories[name]());
}

/** Seconds between two runs of a cron expression (1 for `* * * * * *`). */
export function intervalSeconds(cron: string): number {
  const job = new Cron(cron, { paused: true });
  const [first, second] = job.nextRuns(2);
  job.stop();
  return first && second ? (second.getTime() - first.getTime()) / 1000 : 1;
}
