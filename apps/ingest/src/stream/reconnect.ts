import type { Logger } from "@repo/platform/log";
import { backoffDelay } from "@repo/platform/retry";
import type { StreamError } from "./errors.ts";

/** The timings the wait before a reconnect is drawn from (see `ConnectionTimings`). */
export interface ReconnectTimings {
  reconnectMinMs: number;
  reconnectMaxMs: number;
  limitWaitMs: number;
  limitShortRetries?: number;
  limitRetryMs?: number;
}

/**
 * How long to wait before reconnect attempt `attempt` after `error`: the first few
 * connection-limit refusals (`limitRefusals` in a row) about `limitRetryMs` apart (most often our
 * own previous session, which the server closes within seconds), other limit and rate-limit
 * refusals at least `limitWaitMs` with backoff, anything else jittered exponential backoff.
 *
 * @example
 *   await sleep(reconnectDelay(timings, attempt, error, limitRefusals), signal);
 */
export function reconnectDelay(
  timings: ReconnectTimings,
  attempt: number,
  error: StreamError,
  limitRefusals: number,
): number {
  const shortRetries = timings.limitShortRetries ?? 3;
  if (error.code === "connection_limit" && limitRefusals <= shortRetries) {
    const base = timings.limitRetryMs ?? 2_000;
    return base * (0.75 + Math.random() * 0.5);
  }
  if (error.limited) {
    const floor = timings.limitWaitMs;
    return Math.max(
      floor,
      backoffDelay(attempt, {
        minDelayMs: floor,
        maxDelayMs: Math.max(floor * 8, timings.reconnectMaxMs),
      }),
    );
  }
  return backoffDelay(attempt, {
    minDelayMs: timings.reconnectMinMs,
    maxDelayMs: timings.reconnectMaxMs,
  });
}

/**
 * Logs why the connection waits `delay` ms before its next attempt: an error when another session
 * keeps holding the key's connection (`limitHeld`), a warning otherwise.
 *
 * @example
 *   reportReconnect(log, { provider: "alpaca", connection: 0 }, { error, attempt, refusals, delay, limitHeld });
 */
export function reportReconnect(
  log: Logger,
  context: Record<string, unknown>,
  wait: {
    error: StreamError;
    attempt: number;
    refusals: number;
    delay: number;
    limitHeld: boolean;
  },
): void {
  const { error, attempt, refusals, delay } = wait;
  const detail = {
    ...context,
    code: error.code,
    err: error.message,
    refusals,
    retryInMs: Math.round(delay),
  };
  if (wait.limitHeld)
    log.error(
      detail,
      "another session holds this key's connection; waiting long before the next attempt (stop the other ingest or tool using the key)",
    );
  else if (error.code === "connection_limit")
    log.warn(detail, "connection limit: waiting for the previous session to close");
  else
    log.warn(
      {
        ...context,
        code: error.code,
        err: error.message,
        attempt,
        retryInMs: Math.round(delay),
      },
      "stream disconnected; reconnecting",
    );
}
