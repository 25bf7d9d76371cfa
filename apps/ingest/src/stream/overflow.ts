import { HttpStatusError, isRetriable } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import type { PollResult, ProviderCheck } from "../providers/provider.ts";
import type { MarketClock } from "./connection.ts";

/** A provider's REST poll of the latest trade and quote of some symbols. */
export interface OverflowSource {
  poll(symbols: string[], signal?: AbortSignal): Promise<PollResult>;
  intervalMs: number;
}

export interface OverflowPollerOptions {
  provider: string;
  symbols: string[];
  source: OverflowSource;
  regularHoursOnly: boolean;
  clock: MarketClock;
  log: Logger;
  deliver(result: PollResult): void;
  now?: () => number;
}

/**
 * Polls the symbols a stream cannot carry (beyond the plan's symbol limit) every `intervalMs`,
 * through the provider's shared HTTP edge and rate budget. A latest trade or quote already
 * delivered by an earlier poll is not offered again. An answer retrying cannot fix (401, 403, 411:
 * the key or the plan) stops polling for good and fails the provider's readiness.
 *
 * @example
 *   const poller = createOverflowPoller({ provider: "alpaca", symbols: ["TSLA"], source, regularHoursOnly: true,
 *     clock: exchangeClock, log, deliver: (result) => sink.offer(result) });
 *   poller.start();
 */
export function createOverflowPoller(options: OverflowPollerOptions) {
  const { log, source } = options;
  const now = options.now ?? Date.now;
  const stopping = new AbortController();
  const latest = new Map<string, string>();
  let state: "polling" | "market_closed" | "failed" | "stopped" = "polling";
  let polls = 0;
  let errors = 0;
  let delivered = 0;
  let unchanged = 0;
  let lastError: string | undefined;
  let lastPollAt: number | undefined;
  let loop: Promise<void> | undefined;
  const context = { provider: options.provider, overflow: options.symbols.length };

  /** Drops a symbol's latest trade or quote the previous poll already delivered. */
  function fresh(result: PollResult): PollResult {
    const ticks = result.ticks.filter((candidate) => {
      const { symbol, kind, eventTime, sequence } = (candidate ?? {}) as Record<string, unknown>;
      const key = `${String(symbol)}|${String(kind)}`;
      const identity = `${String(eventTime)}|${String(sequence)}`;
      if (latest.get(key) === identity) return false;
      latest.set(key, identity);
      return true;
    });
    unchanged += result.ticks.length - ticks.length;
    return { ticks, malformed: result.malformed };
  }

  async function run() {
    while (!stopping.signal.aborted) {
      if (options.regularHoursOnly) {
        const session = options.clock.session(new Date(now()));
        if (now() < session.open.getTime()) {
          state = "market_closed";
          await sleep(session.open.getTime() - now(), stopping.signal);
          continue;
        }
      }
      state = "polling";
      try {
        const result = fresh(await source.poll(options.symbols, stopping.signal));
        polls += 1;
        lastPollAt = now();
        lastError = undefined;
        delivered += result.ticks.length;
        if (result.ticks.length > 0 || result.malformed.length > 0) options.deliver(result);
      } catch (error) {
        if (stopping.signal.aborted) break;
        errors += 1;
        lastError = (error as Error).message;
        if (!isRetriable(error)) {
          state = "failed";
          log.error(
            {
              ...context,
              status: error instanceof HttpStatusError ? error.status : undefined,
              err: lastError,
            },
            "polling the symbols beyond the plan's streaming limit stopped: retrying cannot fix this (check the key and the plan)",
          );
          return;
        }
        log.warn({ ...context, err: lastError }, "polling the overflow symbols failed; retrying");
      }
      await sleep(source.intervalMs, stopping.signal);
    }
    state = "stopped";
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    view() {
      return {
        symbols: options.symbols,
        state,
        intervalMs: source.intervalMs,
        polls,
        errors,
        delivered,
        unchanged,
        lastError: lastError ?? null,
        lastPollAt: lastPollAt === undefined ? null : new Date(lastPollAt).toISOString(),
      };
    },
    check(): ProviderCheck {
      if (state === "failed") return { ok: false, detail: `REST polling failed: ${lastError}` };
      return { ok: true };
    },
  };
}
