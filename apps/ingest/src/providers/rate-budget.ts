import { sleep } from "@repo/platform/retry";
import { createTokenBucket } from "./token-bucket.ts";

/**
 * A provider account's request budget, shared by every caller in the process that uses the account:
 * a token bucket at the plan's rate, paused until the window resets whenever the provider says the
 * budget is spent (a 429, or `X-Ratelimit-Remaining: 0`).
 */
export interface RateBudget {
  /** Waits until a request may be sent. */
  take(signal?: AbortSignal): Promise<void>;
  /**
   * Reads a response's rate-limit headers. Nothing remaining (or a 429) pauses every caller until
   * the reset; returns how long that is (ms), or undefined when the headers say nothing.
   */
  observe(status: number, headers: Headers): number | undefined;
  view(): { perMinute: number; throttled: number; pausedUntil: string | null };
}

/** Longest pause taken from a reset header: the window is one minute (Alpaca), plus slack. */
const MAX_RESET_WAIT_MS = 65_000;

/**
 * How long until a rate-limit window resets, from `X-Ratelimit-Reset` (Unix epoch seconds, as
 * Alpaca sends it: https://docs.alpaca.markets/docs/rate-limits); undefined when absent or past.
 *
 * @example
 *   resetWaitMs(new Headers({ "x-ratelimit-reset": "1767623460" }), 1767623400000); // 60000
 */
export function resetWaitMs(headers: Headers, now = Date.now()): number | undefined {
  const reset = Number(headers.get("x-ratelimit-reset"));
  if (!headers.has("x-ratelimit-reset") || !Number.isFinite(reset)) return undefined;
  const wait = reset * 1000 - now;
  return wait > 0 ? Math.min(wait, MAX_RESET_WAIT_MS) : undefined;
}

/**
 * A budget of `perMinute` requests that pauses on the provider's word.
 *
 * @example
 *   const budget = createRateBudget({ perMinute: 200 });
 *   await budget.take();
 *   const response = await fetch(url);
 *   budget.observe(response.status, response.headers);
 */
export function createRateBudget(options: {
  perMinute: number;
  /** Requests allowed at once (default: one second's worth). */
  burst?: number;
  now?: () => number;
}): RateBudget {
  const now = options.now ?? Date.now;
  const perSecond = options.perMinute / 60;
  const capacity = options.burst ?? Math.max(1, Math.ceil(perSecond));
  const bucket = createTokenBucket({ capacity, perSecond, now });
  let pausedUntil = 0;
  let throttled = 0;
  return {
    async take(signal) {
      while (pausedUntil > now() && !signal?.aborted) await sleep(pausedUntil - now(), signal);
      await bucket.take(signal);
    },
    observe(status, headers) {
      const remaining = headers.get("x-ratelimit-remaining");
      const spent = status === 429 || (remaining !== null && Number(remaining) <= 0);
      if (!spent) return undefined;
      if (status === 429) throttled += 1;
      const wait = resetWaitMs(headers, now());
      if (wait !== undefined) pausedUntil = Math.max(pausedUntil, now() + wait);
      return wait;
    },
    view: () => ({
      perMinute: options.perMinute,
      throttled,
      pausedUntil: pausedUntil > now() ? new Date(pausedUntil).toISOString() : null,
    }),
  };
}

const shared = new Map<string, RateBudget>();

/**
 * The one budget of an account in this process (created at the first call): Alpaca's REST limit
 * (200 requests/min on Basic) is per account, so polling, gap recovery and the backfill share it.
 *
 * @example
 *   const budget = sharedRateBudget(`alpaca:${keyId}`, 200);
 */
export function sharedRateBudget(account: string, perMinute: number): RateBudget {
  let budget = shared.get(account);
  if (!budget) {
    budget = createRateBudget({ perMinute });
    shared.set(account, budget);
  }
  return budget;
}
