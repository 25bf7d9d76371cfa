import { sleep } from "@repo/platform/retry";

export interface TokenBucket {
  /** Waits until a request may be sent under the provider's rate limit. */
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * A token bucket: `capacity` requests at once, refilled at `perSecond`.
 *
 * @example
 *   const bucket = createTokenBucket({ capacity: 5, perSecond: 1 }); // Finnhub-style 60/min
 *   await bucket.take();
 */
export function createTokenBucket(options: {
  capacity: number;
  perSecond: number;
  now?: () => number;
}): TokenBucket {
  const now = options.now ?? Date.now;
  let tokens = options.capacity;
  let refilledAt = now();
  const refill = () => {
    const at = now();
    tokens = Math.min(options.capacity, tokens + ((at - refilledAt) / 1000) * options.perSecond);
    refilledAt = at;
  };
  return {
    async take(signal) {
      for (;;) {
        refill();
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        if (signal?.aborted) throw signal.reason ?? new Error("aborted");
        await sleep(Math.ceil(((1 - tokens) / options.perSecond) * 1000), signal);
      }
    },
  };
}
