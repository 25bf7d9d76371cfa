/**
 * The api with analytics on a real pipeline: producer, consumer and api as support.ts starts them,
 * plus analytics on the same topic prefix and keyspace (its own group), at a port the api's
 * ANALYTICS_URL names from the start, so a test can stop and restart it there.
 */
import { buildApp, freePort, type RunningService, startService } from "@repo/testkit";
import { type ApiPipeline, marketTicks, startApiPipeline } from "./support.ts";

export const ANALYTICS_TOKEN = "analytics-token-of-the-api-0123";
export const OPERATOR_TOKEN = "operator-token-of-the-test-4567";

export interface AnalyticsPipeline extends ApiPipeline {
  analytics: RunningService;
  analyticsUrl: string;
  /** Starts analytics (again) at its port and waits for /readyz. */
  startAnalytics(): Promise<RunningService>;
  close(): Promise<void>;
}

/**
 * Starts the pipeline, analytics (indicators `sma20,ema12,ema26,rsi14,bb20,vwapdev,sma1`, sma1 at
 * 1d being the day bar's close; a session's
 * last bar stays provisional 2 days after its end, within the consumer's 10-day late allowance
 * here, so yesterday's history ends with a provisional bar) and the api
 * reading it. With `tokens`, the api takes OPERATOR_TOKEN from callers and presents ANALYTICS_TOKEN.
 */
export async function startAnalyticsPipeline(
  name: string,
  options: { tokens?: boolean; apiEnv?: Record<string, string> } = {},
): Promise<AnalyticsPipeline> {
  const port = await freePort();
  const analyticsUrl = `http://127.0.0.1:${port}`;
  const [run] = await Promise.all([
    startApiPipeline(name, {
      ANALYTICS_URL: analyticsUrl,
      ...(options.tokens
        ? {
            API_OPERATOR_TOKENS: `tester:${OPERATOR_TOKEN}`,
            ANALYTICS_OPERATOR_TOKEN: ANALYTICS_TOKEN,
          }
        : {}),
      ...options.apiEnv,
    }),
    buildApp("analytics"),
  ]);
  const group = `${run.pipeline.prefix}analytics`;
  run.pipeline.groups.push(group);
  const env = {
    PORT: String(port),
    TOPIC_PREFIX: run.pipeline.prefix,
    CASSANDRA_KEYSPACE: run.pipeline.keyspace,
    ANALYTICS_GROUP: group,
    ANALYTICS_INDICATORS: "sma20,ema12,ema26,rsi14,bb20,vwapdev,sma1",
    ANALYTICS_CLOSE_AFTER_MS: String(2 * 86_400_000),
    ...(options.tokens ? { API_OPERATOR_TOKENS: `api:${ANALYTICS_TOKEN}` } : {}),
  };
  const pipeline: AnalyticsPipeline = {
    ...run,
    analytics: undefined as unknown as RunningService,
    analyticsUrl,
    async startAnalytics() {
      const service = await startService("analytics", env, { waitFor: "readyz" });
      run.pipeline.services.push(service);
      pipeline.analytics = service;
      return service;
    },
    close: () => run.pipeline.close(),
  };
  try {
    await pipeline.startAnalytics();
  } catch (error) {
    await pipeline.close();
    throw error;
  }
  return pipeline;
}

/**
 * Where test histories end: 22:20 UTC yesterday. Indicators start cold each UTC day, so a history
 * inside one day whatever the hour the test runs (today's would be cut short after midnight).
 */
export const HISTORY_END_MS = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 100 * 60_000;

/** Trades (every fifth tick a quote) of `symbol` every 2 s over the `minutes` before {@link HISTORY_END_MS}. */
export function sessionTicks(symbol: string, minutes: number, seed: number) {
  return marketTicks({
    symbols: [symbol],
    fromMs: HISTORY_END_MS - minutes * 60_000,
    toMs: HISTORY_END_MS,
    stepMs: 2_000,
    source: "test",
    seed,
  });
}

/** One trade of `symbol` at `price` now (a sequence above any `sessionTicks` one). */
export function tradeNow(symbol: string, price: string, sequence: number) {
  const eventTime = new Date(Date.now() - 200).toISOString();
  return {
    source: "test",
    symbol,
    kind: "TRADE",
    eventTime,
    sequence,
    price,
    size: 100,
    exchange: "XNAS",
    ingestTime: eventTime,
  };
}

/**
 * Whether analytics has processed the bar of `tick`'s minute: its `vwapdev` (warm from a session's
 * first traded bar) is stored for that minute. For a minute whose only trades the test posted, that
 * means the rules were evaluated on a bar containing `tick`.
 */
export async function analyticsSawMinute(
  apiUrl: string,
  tick: { symbol: string; eventTime: string },
) {
  const minute = Math.floor(Date.parse(tick.eventTime) / 60_000) * 60_000;
  const query = new URLSearchParams({
    interval: "1m",
    names: "vwapdev",
    from: new Date(minute).toISOString(),
    to: new Date(minute + 60_000).toISOString(),
  });
  const response = await fetch(`${apiUrl}/v1/indicators/${tick.symbol}?${query}`);
  if (response.status !== 200) return false;
  const body = (await response.json()) as { series: { vwapdev?: unknown[] } };
  return (body.series.vwapdev?.length ?? 0) > 0;
}
