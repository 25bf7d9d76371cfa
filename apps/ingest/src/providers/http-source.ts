import { HttpStatusError, retryAfter } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { withRetry } from "@repo/platform/retry";
import CircuitBreaker from "opossum";
import { createRateBudget, type RateBudget } from "./rate-budget.ts";

export interface HttpSourceOptions {
  name: string;
  log: Logger;
  /** Requests per second the provider allows (token bucket refill rate). */
  ratePerSecond: number;
  burst?: number;
  timeoutMs: number;
  retries: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Calls (each after its retries) in the rolling window before the circuit may open; it opens when over half failed. */
  breakerThreshold: number;
  breakerResetMs: number;
  /**
   * The account's budget when several sources share one (Alpaca: per account); by default each
   * source has its own at `ratePerSecond`.
   */
  budget?: RateBudget;
}

/** An HTTP answer that retrying will not fix (a redirect, a 4xx other than 408/429), with its status. */
export class PermanentHttpError extends HttpStatusError {
  override name = "PermanentHttpError";

  constructor(message: string, status?: number) {
    super(message, { status, retriable: false });
  }
}

export interface HttpSource {
  /** GETs JSON; throws after retries, or at once while the circuit is open (`code: EOPENBREAKER`). */
  getJson(url: string, headers?: Record<string, string>, signal?: AbortSignal): Promise<unknown>;
  health(): {
    circuit: "closed" | "open" | "halfOpen";
    retries: number;
    budget: ReturnType<RateBudget["view"]>;
  };
  close(): void;
}

/**
 * The edge every real provider shares: token-bucket rate limit, per-attempt timeout,
 * jittered exponential retries, and an opossum circuit breaker around the whole call.
 * The response body of a 2xx that is not JSON is returned as `{ malformed: message }`.
 *
 * @example
 *   const http = createHttpSource({ name: "alpaca", log, ratePerSecond: 3, timeoutMs: 5000,
 *     retries: 3, breakerThreshold: 5, breakerResetMs: 30_000 });
 *   const body = await http.getJson("https://data.alpaca.markets/v2/stocks/snapshots?symbols=AAPL");
 */
export function createHttpSource(options: HttpSourceOptions): HttpSource {
  const budget =
    options.budget ??
    createRateBudget({ perMinute: options.ratePerSecond * 60, burst: options.burst });
  let retries = 0;

  async function attempt(url: string, headers: Record<string, string>, signal?: AbortSignal) {
    await budget.take(signal);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const response = await fetch(url, {
      headers: { accept: "application/json", ...headers },
      // The headers carry the provider's keys; following a redirect would hand them to its target.
      redirect: "manual",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new PermanentHttpError(
        `${options.name} answered HTTP ${response.status} (a redirect); not followed, it would carry the credentials elsewhere`,
      );
    }
    const body = await response.text();
    // Alpaca answers a spent budget with 429 and X-Ratelimit-Reset (no Retry-After): every caller
    // sharing the budget pauses until the reset.
    const resetMs = budget.observe(response.status, response.headers);
    if (!response.ok) {
      const message = `${options.name} answered HTTP ${response.status}: ${body.slice(0, 200)}`;
      const error = new HttpStatusError(message, {
        status: response.status,
        retryAfterMs:
          response.status === 429 && resetMs !== undefined
            ? resetMs
            : retryAfterMs(response.headers.get("retry-after")),
      });
      if (!error.retriable) throw new PermanentHttpError(message, response.status);
      throw error;
    }
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return {
        malformed: `${options.name} answered a body that is not JSON: ${body.slice(0, 80)}`,
      };
    }
  }

  const breaker = new CircuitBreaker(
    (url: string, headers: Record<string, string>, signal?: AbortSignal) =>
      withRetry(() => attempt(url, headers, signal), {
        retries: options.retries,
        minDelayMs: options.minRetryDelayMs ?? 250,
        maxDelayMs: options.maxRetryDelayMs ?? 5_000,
        signal,
        // The provider said when to come back (429/503 Retry-After): withRetry waits at least that long.
        onRetry: (error) => {
          retries += 1;
          options.log.warn(
            {
              provider: options.name,
              err: (error as Error).message,
              retryAfterMs: retryAfter(error),
            },
            "retrying provider request",
          );
        },
      }),
    {
      name: options.name,
      timeout: false,
      errorThresholdPercentage: 50,
      volumeThreshold: options.breakerThreshold,
      rollingCountTimeout: Math.max(options.breakerResetMs, 10_000),
      resetTimeout: options.breakerResetMs,
    },
  );
  breaker.on("open", () => options.log.error({ provider: options.name }, "circuit opened"));
  breaker.on("close", () => options.log.info({ provider: options.name }, "circuit closed"));

  return {
    getJson: (url, headers = {}, signal) => breaker.fire(url, headers, signal),
    health: () => ({
      circuit: breaker.opened ? "open" : breaker.halfOpen ? "halfOpen" : "closed",
      retries,
      budget: budget.view(),
    }),
    close: () => breaker.shutdown(),
  };
}

/** Longest Retry-After honoured; a provider asking for more is retried by the next schedule instead. */
const MAX_RETRY_AFTER_MS = 30_000;

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
