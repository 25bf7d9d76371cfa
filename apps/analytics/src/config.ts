import { ConfigError, loadConfig, positiveInt, streamServiceEnv, z } from "@repo/platform/config";
import { isLoopbackHost } from "@repo/platform/security";
import { parseBearerTokens } from "@repo/platform/tokens";
import { registryClientEnv } from "@repo/registry";
import { type IndicatorSpec, parseIndicatorList } from "./indicators/specs.ts";

/** Every setting of the analytics service, from the environment (see README for meanings). */
export const analyticsEnv = {
  ...streamServiceEnv(3005),
  ...registryClientEnv,
  ANALYTICS_GROUP: z.string().min(1).default("market-analytics"),
  /** Indicators kept for every symbol and interval: sma<N>, ema<N>, rsi<N>, bb<N>, rv<N>, rvol<N>, vwapdev. */
  ANALYTICS_INDICATORS: z
    .string()
    .default("sma20,sma50,ema12,ema26,rsi14,bb20,rv20,rvol20,vwapdev"),
  /** How long after its end a bar's values stay provisional (as the consumer's BAR_LATE_ALLOWANCE_MS). */
  ANALYTICS_CLOSE_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
  /** Sessions (symbol × UTC day) held in memory; the least recently updated is dropped beyond it. */
  ANALYTICS_MAX_SESSIONS: positiveInt(20_000),
  ANALYTICS_MAX_BATCH: positiveInt(2000),
  /** How often alert rules are re-read from Cassandra (rules created on another member). */
  ANALYTICS_RULES_REFRESH_MS: positiveInt(2_000),
  /** Alerts waiting for one SSE client; a client with more waiting is dropped. */
  ANALYTICS_STREAM_QUEUE_MAX: positiveInt(1000),
  ANALYTICS_STREAM_MAX_CLIENTS: positiveInt(100),
  /** Webhook deliveries waiting in all; beyond it the oldest is dropped (and counted). */
  ANALYTICS_WEBHOOK_QUEUE_MAX: positiveInt(10_000),
  ANALYTICS_WEBHOOK_TIMEOUT_MS: positiveInt(5_000),
  /** How long a delivery is retried (with backoff) before it is dropped (and counted); at most 1 day (the outbox keeps rows 2 days). */
  ANALYTICS_WEBHOOK_MAX_AGE_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  ANALYTICS_WEBHOOK_MAX_DELAY_MS: positiveInt(30_000),
  /** `name:token` entries (the PRODUCER_TOKENS rules): who may create and delete alert rules. */
  API_OPERATOR_TOKENS: z.string().optional(),
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
};

export type AnalyticsConfig = ReturnType<typeof loadAnalyticsConfig>;

/**
 * Loads and validates the analytics configuration, failing with the names of bad variables. The
 * indicator list and the operator tokens come out parsed (`indicators`, `operatorTokens`). Without
 * tokens the service must listen on loopback (rules can then be written by local processes only).
 *
 * @example
 *   const config = loadAnalyticsConfig({ ANALYTICS_INDICATORS: "sma20,rsi14" });
 *   config.indicators.map((s) => s.name); // ["sma20", "rsi14"]
 */
export function loadAnalyticsConfig(env: Record<string, string | undefined> = process.env) {
  const { API_OPERATOR_TOKENS, ...config } = loadConfig(analyticsEnv, env);
  const problems: string[] = [];
  const { tokens, problems: tokenProblems } = parseBearerTokens(API_OPERATOR_TOKENS ?? "");
  for (const p of tokenProblems) problems.push(`  API_OPERATOR_TOKENS (<redacted>): ${p}`);
  if (tokens.length === 0 && !isLoopbackHost(config.HOST))
    problems.push(
      `  API_OPERATOR_TOKENS (unset): required when HOST (${config.HOST}) is not a loopback address; without tokens anyone who reaches the port could create alert rules`,
    );
  if (config.ANALYTICS_MAX_SESSIONS < config.ANALYTICS_MAX_BATCH)
    problems.push(
      `  ANALYTICS_MAX_SESSIONS (${config.ANALYTICS_MAX_SESSIONS}): must be at least ANALYTICS_MAX_BATCH (${config.ANALYTICS_MAX_BATCH}), or one batch could evict the sessions it just read`,
    );
  let indicators: IndicatorSpec[] = [];
  try {
    indicators = parseIndicatorList(config.ANALYTICS_INDICATORS);
    if (indicators.length === 0) problems.push("  ANALYTICS_INDICATORS: lists no indicator");
  } catch (error) {
    problems.push(
      `  ANALYTICS_INDICATORS (${JSON.stringify(config.ANALYTICS_INDICATORS)}): ${(error as Error).message}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  return { ...config, indicators, operatorTokens: tokens };
}
