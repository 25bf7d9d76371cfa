import pRetry, { type Options as PRetryOptions } from "p-retry";
import { isRetriable, retryAfter } from "./errors.ts";

export interface BackoffOptions {
  minDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(max, min·factorⁿ)].
 *
 * @example
 *   await sleep(backoffDelay(attempt, { minDelayMs: 200, maxDelayMs: 10_000 }));
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { minDelayMs = 100, maxDelayMs = 10_000, factor = 2 } = options;
  const ceiling = Math.min(maxDelayMs, minDelayMs * factor ** Math.max(0, attempt));
  return Math.max(minDelayMs / 2, Math.random() * ceiling);
}

export interface RetryOptions extends BackoffOptions {
  retries?: number;
  signal?: AbortSignal;
  /**
   * Called after a failed attempt that will be retried (not after the last one, nor after one
   * `shouldRetry` refuses); a returned promise delays the next attempt until it settles.
   */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Whether retrying can fix `error`; by default its `retriable` flag ({@link isRetriable}). */
  shouldRetry?: (error: unknown) => boolean;
}

/**
 * Runs `task` until it succeeds, retrying failures with jittered exponential backoff (p-retry).
 * An error that is not retriable (a `PipelineError` with `retriable: false`) is thrown at once;
 * one with `retryAfterMs` (the server said when to come back) waits at least that long.
 *
 * @example
 *   const rows = await withRetry(() => client.execute(query), { retries: 5 });
 */
export function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { retries = 5, minDelayMs = 100, maxDelayMs = 10_000, factor = 2 } = options;
  const shouldRetry = options.shouldRetry ?? isRetriable;
  const config: PRetryOptions = {
    retries,
    factor,
    minTimeout: minDelayMs,
    maxTimeout: maxDelayMs,
    randomize: true,
    signal: options.signal,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft <= 0 || !shouldRetry(error)) return;
      await options.onRetry?.(error, attemptNumber);
      const waitMs = retryAfter(error);
      if (waitMs) await sleep(waitMs, options.signal);
    },
    shouldRetry: ({ error }) => shouldRetry(error),
  };
  return pRetry(task, config);
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (never rejects). The abort listener is
 * removed when the timer fires, so a long-lived signal does not collect one listener per call.
 *
 * @example
 *   await sleep(backoffDelay(attempt), stopping.signal);
 */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", wake);
      resolve();
    }, ms);
    signal?.addEventListener("abort", wake, { once: true });
  });
