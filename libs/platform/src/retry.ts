import pRetry, { type Options as PRetryOptions } from "p-retry";

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
  /** Called after each failed attempt; a returned promise delays the next attempt until it settles. */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Return false for errors that retrying cannot fix. */
  shouldRetry?: (error: unknown) => boolean;
}

/**
 * Runs `task` until it succeeds, retrying failures with jittered exponential backoff (p-retry).
 *
 * @example
 *   const rows = await withRetry(() => client.execute(query), { retries: 5 });
 */
export function withRetry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { retries = 5, minDelayMs = 100, maxDelayMs = 10_000, factor = 2 } = options;
  const config: PRetryOptions = {
    retries,
    factor,
    minTimeout: minDelayMs,
    maxTimeout: maxDelayMs,
    randomize: true,
    signal: options.signal,
    onFailedAttempt: ({ error, attemptNumber }) => options.onRetry?.(error, attemptNumber),
    shouldRetry: options.shouldRetry
      ? ({ error }) => options.shouldRetry?.(error) ?? true
      : undefined,
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
