import { cassandraEnv, commaList, flag, httpEnv, positiveInt, z } from "@repo/platform/config";

const symbols = (fallback: string) =>
  commaList(fallback)
    .transform((list) => list.map((s) => s.toUpperCase()))
    .refine(
      (list) => list.length > 0 && list.every((s) => /^[A-Z0-9.-]{1,12}$/.test(s)),
      "must list tickers like AAPL,MSFT",
    );

const positive = (fallback: number) => z.coerce.number().positive().default(fallback);

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A provider URL: `https:`/`wss:` (or `http:`/`ws:` when `secure` is either), plain `http:`/`ws:`
 * only for loopback hosts (local test servers), so keys never cross a network in clear text.
 */
export const providerUrl = (fallback: string, secure: readonly string[]) =>
  z
    .url()
    .default(fallback)
    .refine(
      (text) => {
        const url = new URL(text);
        const plain = secure.map((scheme) => scheme.replace(/s:$/, ":"));
        if (secure.includes(url.protocol)) return true;
        return plain.includes(url.protocol) && LOOPBACK.has(url.hostname);
      },
      `must use ${secure.join(" or ")} (plain http/ws only for 127.0.0.1 or localhost)`,
    );

const HTTPS = ["https:"] as const;
const WSS = ["wss:"] as const;

const PROVIDERS = ["simulator", "alpaca", "tiingo", "finnhub", "replay"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const ingestEnv = {
  ...httpEnv(3001),
  ...cassandraEnv,
  /** Where runs, backfill jobs and paused providers are kept: Cassandra (survives restarts) or memory. */
  INGEST_STATE_STORE: z.enum(["cassandra", "memory"]).default("cassandra"),
  /** How often runs in progress are written while their counts change. */
  INGEST_RUNS_CHECKPOINT_MS: positiveInt(5_000),
  /**
   * `name:token` entries (the producer's PRODUCER_TOKENS rules) allowed to run, pause and resume
   * providers and to start and cancel backfills. Unset: only loopback clients may.
   */
  INGEST_OPERATOR_TOKENS: z.string().optional(),
  PRODUCER_URL: z.url().default("http://127.0.0.1:3002"),
  /** Sent as `Authorization: Bearer …` to a producer that has PRODUCER_TOKENS. */
  PRODUCER_TOKEN: z.string().optional(),
  INGEST_PROVIDERS: commaList("simulator").pipe(z.array(z.enum(PROVIDERS)).min(1)),
  INGEST_TIMEZONE: z.string().default("America/New_York"),
  INGEST_BUFFER_CAPACITY: positiveInt(100_000),
  INGEST_BATCH_SIZE: positiveInt(500),
  INGEST_LINGER_MS: positiveInt(200),
  INGEST_FORWARD_LANES: positiveInt(4),
  /** Per request to the producer; must exceed the producer's delivery timeout. */
  INGEST_FORWARD_TIMEOUT_MS: positiveInt(45_000),
  /** The producer's PRODUCER_MAX_RECORDS: INGEST_BATCH_SIZE may not exceed it. */
  INGEST_PRODUCER_MAX_RECORDS: positiveInt(1_000),
  /** The producer's DELIVERY_TIMEOUT_MS: INGEST_FORWARD_TIMEOUT_MS must exceed it. */
  INGEST_PRODUCER_DELIVERY_TIMEOUT_MS: positiveInt(30_000),
  INGEST_MAX_FUTURE_MS: positiveInt(5_000),
  INGEST_MAX_STALENESS_MS: positiveInt(15 * 60_000),
  INGEST_MAX_PRICE_JUMP: positive(0.1),
  /** Consecutive agreeing ticks beyond the price-jump threshold that re-anchor the gate. */
  INGEST_PRICE_JUMP_REANCHOR_TICKS: z.coerce.number().int().min(2).default(3),
  /** Event-time span after which 2+ agreeing ticks beyond the threshold re-anchor the gate. */
  INGEST_PRICE_JUMP_REANCHOR_MS: positiveInt(60_000),
  INGEST_DEDUPE_WINDOW: positiveInt(100_000),
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
  PROVIDER_TIMEOUT_MS: positiveInt(5_000),
  PROVIDER_RETRIES: z.coerce.number().int().min(0).default(3),
  PROVIDER_RETRY_MIN_MS: positiveInt(250),
  PROVIDER_BREAKER_THRESHOLD: positiveInt(3),
  PROVIDER_BREAKER_RESET_MS: positiveInt(30_000),
  SIMULATOR_SEED: z.coerce.number().int().default(42),
  SIMULATOR_SYMBOLS: symbols("AAPL,MSFT,GOOG,AMZN,NVDA"),
  SIMULATOR_RATE: positive(20),
  SIMULATOR_LIMIT: z.coerce.number().int().min(0).default(0),
  SIMULATOR_CRON: z.string().default("* * * * * *"),
  SIMULATOR_REGULAR_HOURS_ONLY: flag(false),
  /** No data for this long while the market is open: the stream is stale and is reconnected. */
  INGEST_STREAM_STALE_MS: positiveInt(60_000),
  /** A protocol ping after this long without a frame; no frame or pong for twice as long: dead. */
  INGEST_STREAM_PING_MS: positiveInt(15_000),
  /** From opening a socket to a confirmed subscription. */
  INGEST_STREAM_CONNECT_TIMEOUT_MS: positiveInt(10_000),
  INGEST_STREAM_RECONNECT_MIN_MS: positiveInt(500),
  INGEST_STREAM_RECONNECT_MAX_MS: positiveInt(30_000),
  /** Least wait after a connection-limit (Alpaca 406) or rate-limit (HTTP 429) refusal, once the short retries are spent. */
  INGEST_STREAM_LIMIT_WAIT_MS: positiveInt(60_000),
  /** A 406 first waits for our previous session to close: this many retries this far apart (Alpaca's SDKs retry within seconds). */
  INGEST_STREAM_LIMIT_SHORT_RETRIES: z.coerce.number().int().min(0).default(3),
  INGEST_STREAM_LIMIT_RETRY_MS: positiveInt(2_000),
  /** A session subscribed this long (or that delivered data) resets the reconnect backoff. */
  INGEST_STREAM_STABLE_MS: positiveInt(30_000),
  /** Added on both sides of a recovered gap; the overlap dedupes by identity. */
  INGEST_GAP_OVERLAP_MS: z.coerce.number().int().min(0).default(2_000),
  /** Longest gap recovered from history (default one regular session); older parts need a backfill. */
  INGEST_GAP_MAX_MS: positiveInt(23_400_000),
  ALPACA_API_KEY_ID: z.string().optional(),
  ALPACA_API_SECRET_KEY: z.string().optional(),
  ALPACA_MODE: z.enum(["stream", "poll"]).default("stream"),
  ALPACA_DATA_URL: providerUrl("https://data.alpaca.markets", HTTPS),
  ALPACA_STREAM_URL: providerUrl("wss://stream.data.alpaca.markets", WSS),
  /** `test` is Alpaca's 24/7 test stream (`v2/test`, symbol FAKEPACA). */
  ALPACA_FEED: z.enum(["iex", "sip", "delayed_sip", "test"]).default("iex"),
  /** The market data plan: Basic (free; IEX in real time, SIP history older than 15 min) or Algo Trader Plus. */
  ALPACA_PLAN: z.enum(["basic", "algo_trader_plus"]).default("basic"),
  /** Symbols the plan streams on its one connection (Basic: 30; Algo Trader Plus: unlimited). The rest are polled over REST. */
  ALPACA_PLAN_SYMBOL_LIMIT: z.coerce.number().int().positive().optional(),
  /** How often symbols beyond ALPACA_PLAN_SYMBOL_LIMIT are polled (one snapshots request for all of them). */
  ALPACA_OVERFLOW_POLL_MS: positiveInt(10_000),
  /** Replaced by ALPACA_PLAN_SYMBOL_LIMIT; refused at start-up when set. */
  ALPACA_STREAM_MAX_SYMBOLS: z.string().optional(),
  /** Alpaca allows one connection per endpoint on most plans; only 1 is accepted. */
  ALPACA_STREAM_MAX_CONNECTIONS: positiveInt(1),
  /** What gap recovery fetches from history: `trades,quotes`, `trades`, or `off`. */
  ALPACA_GAP_RECOVERY: commaList("trades,quotes").pipe(
    z.array(z.enum(["trades", "quotes", "off"])),
  ),
  ALPACA_SYMBOLS: symbols("AAPL,MSFT,GOOG,AMZN,NVDA"),
  ALPACA_CRON: z.string().default("*/15 * * * * *"),
  ALPACA_REGULAR_HOURS_ONLY: flag(true),
  /** REST requests per minute for the whole account (Basic 200, Algo Trader Plus 10,000), shared by every Alpaca caller in the process. */
  ALPACA_RATE_PER_MINUTE: z.coerce.number().positive().optional(),
  TIINGO_API_TOKEN: z.string().optional(),
  TIINGO_BASE_URL: providerUrl("https://api.tiingo.com", HTTPS),
  TIINGO_SYMBOLS: symbols("AAPL,MSFT,GOOG,AMZN,NVDA"),
  TIINGO_CRON: z.string().default("0 */5 * * * *"),
  TIINGO_REGULAR_HOURS_ONLY: flag(true),
  TIINGO_RATE_PER_HOUR: positive(50),
  FINNHUB_API_KEY: z.string().optional(),
  FINNHUB_STREAM_URL: providerUrl("wss://ws.finnhub.io", WSS),
  FINNHUB_SYMBOLS: symbols("AAPL,MSFT,GOOG,AMZN,NVDA"),
  FINNHUB_REGULAR_HOURS_ONLY: flag(true),
  /** Free plan: one connection per key; about 50 symbols (reported by users, not in Finnhub's docs). */
  FINNHUB_PLAN_SYMBOL_LIMIT: positiveInt(50),
  /** Replaced by FINNHUB_PLAN_SYMBOL_LIMIT; refused at start-up when set. */
  FINNHUB_STREAM_MAX_SYMBOLS: z.string().optional(),
  /** "1 API key can only open 1 connection at a time": only 1 is accepted. */
  FINNHUB_STREAM_MAX_CONNECTIONS: positiveInt(1),
  REPLAY_FILE: z.string().optional(),
  /** N× the recorded pace; 0 = as fast as the buffer takes it. */
  REPLAY_SPEED: z.coerce.number().min(0).default(1),
  REPLAY_SHIFT_TIME: flag(false),
  REPLAY_LOOP: flag(false),
};

/** The ingest environment as validated by zod, before the cross-field checks. */
export type IngestEnv = z.infer<z.ZodObject<typeof ingestEnv>>;
