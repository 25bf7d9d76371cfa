import { isRetriable } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import type { PollResult, ProviderCheck } from "../providers/provider.ts";
import { exchangeClock, type MarketClock, marketOpenAt } from "./clock.ts";
import { StreamError } from "./errors.ts";
import { createRateMeter } from "./meter.ts";
import type { StreamProtocol } from "./protocol.ts";
import { reconnectDelay, reportReconnect } from "./reconnect.ts";
import { runSession, type SessionHooks } from "./session.ts";

export { alwaysOpen, exchangeClock, type MarketClock } from "./clock.ts";

export type ConnectionState =
  /** Waiting for the regular session to open (regular hours only). */
  | "market_closed"
  | "connecting"
  | "authenticating"
  | "subscribing"
  | "streaming"
  /** Waiting before the next attempt. */
  | "backoff"
  /** Stopped for good by an error reconnecting cannot fix (bad key, plan, symbol limit). */
  | "failed"
  | "stopped";

export interface ConnectionTimings {
  /** From opening the socket to a confirmed subscription. */
  connectTimeoutMs: number;
  /** A ping is sent after this long without any frame; no frame or pong for twice as long ends the session. */
  pingIntervalMs: number;
  /** No data frame for this long while the market is open: the stream is stale, reconnect. */
  staleAfterMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Least wait after a connection-limit or rate-limit refusal, once the short retries are spent. */
  limitWaitMs: number;
  /**
   * Connection-limit refusals (406) first retried this many times `limitRetryMs` apart: the
   * refusal is most often our own previous session, which the server closes within seconds
   * (Alpaca's SDKs retry within seconds too). Optional: 3 and 2 s by default.
   */
  limitShortRetries?: number;
  limitRetryMs?: number;
  /** A session subscribed this long (or that delivered data) resets the backoff. */
  stableAfterMs: number;
}

/** An interval whose ticks may be missing: between the last data before a disconnect and the resubscription. */
export interface Gap {
  symbols: string[];
  fromMs: number;
  toMs: number;
  reason: "disconnect" | "dropped";
}

export interface StreamConnectionOptions {
  provider: string;
  id: number;
  symbols: string[];
  protocol: StreamProtocol;
  timings: ConnectionTimings;
  /** Connect only while the regular session is open; disconnect at the close. */
  regularHoursOnly: boolean;
  clock?: MarketClock;
  now?: () => number;
  log: Logger;
  onTicks(result: PollResult): void;
  /** Called when a session resubscribes after an unplanned end. */
  onGap(gap: Gap): void;
  /** Called before each connection attempt (a stream session, shown as a run). */
  onSessionStart?(): void;
  /** Called when that attempt's session ended: why, and the error if it failed. */
  onSessionEnd?(end: { reason: "failed" | "stopped" | "market_closed"; error?: StreamError }): void;
}

/**
 * One WebSocket connection of a streaming provider, kept alive: connect, authenticate and subscribe
 * through the provider's protocol, watch it (ping when quiet, reconnect when no pong, or when no
 * data arrives for `staleAfterMs` while the market is open), and after any unplanned end reconnect
 * with jittered exponential backoff (a long wait after connection-limit and rate-limit refusals; none
 * after errors reconnecting cannot fix). Every resubscription after a disconnect reports the gap.
 *
 * @example
 *   const connection = createStreamConnection({ provider: "alpaca", id: 0, symbols, protocol,
 *     timings, regularHoursOnly: true, log, onTicks: (r) => sink.offer(r), onGap: recovery.add });
 *   connection.start(); // later: await connection.stop()
 */
export function createStreamConnection(options: StreamConnectionOptions) {
  const { timings, log, protocol } = options;
  const now = options.now ?? Date.now;
  const clock = options.clock ?? exchangeClock;
  const stopping = new AbortController();
  const meter = createRateMeter();
  const ignored: Record<string, number> = {};
  let state: ConnectionState = "connecting";
  let stateSince = now();
  let lastError: StreamError | undefined;
  let nextAttemptAt: number | undefined;
  let lastFrameAt: number | undefined;
  let lastDataAt: number | undefined;
  let connects = 0;
  let reconnects = 0;
  let messages = 0;
  let ticks = 0;
  let notices = 0;
  let loop: Promise<void> | undefined;
  const context = { provider: options.provider, connection: options.id };

  const enter = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    stateSince = now();
  };
  /**
   * Where the next gap starts, in the provider's event time: the newest event delivered before an
   * unplanned end (kept across failed attempts). Gaps are reckoned in event time, so a delayed feed
   * (delayed_sip lags 15 min) or a skewed clock still asks history for the right interval.
   */
  let gapFrom: number | undefined;
  /** The close of the session the gap began in (regular hours only): a gap never spans a closed market. */
  let gapUntil: number | undefined;
  /** How far the feed's event times trail our clock (receipt time − event time of the newest tick). */
  let lagMs = 0;

  const hooks: SessionHooks = {
    enter,
    state: () => state,
    subscribed(at) {
      enter("streaming");
      lastError = undefined;
      log.info({ ...context, symbols: options.symbols.length }, "stream subscribed");
      resumeAfterGap(at);
    },
    alive(at) {
      lastFrameAt = at;
    },
    message() {
      messages += 1;
      meter.mark();
    },
    data(result, at, newestMs) {
      lastDataAt = at;
      if (newestMs !== undefined) lagMs = at - newestMs;
      ticks += result.ticks.length;
      options.onTicks(result);
    },
    ignored(type) {
      ignored[type] = (ignored[type] ?? 0) + 1;
    },
    notice(message) {
      notices += 1;
      if (notices <= 5 || notices % 1000 === 0)
        log.warn({ ...context, notice: message, notices }, "stream server notice");
    },
  };

  function resumeAfterGap(subscribedAt: number) {
    if (gapFrom === undefined) return;
    const resumedAt = subscribedAt - lagMs;
    const toMs = Math.min(resumedAt, gapUntil ?? resumedAt);
    const gap: Gap = { symbols: options.symbols, fromMs: gapFrom, toMs, reason: "disconnect" };
    gapFrom = undefined;
    gapUntil = undefined;
    if (toMs > gap.fromMs) options.onGap(gap);
  }

  async function run() {
    let attempt = 0;
    /** Consecutive connection-limit refusals: the first few are retried soon, then long waits. */
    let limitRefusals = 0;
    /** Consecutive sessions the server closed after opening, before any data. */
    let earlyCloses = 0;
    while (!stopping.signal.aborted) {
      let sessionClose: number | undefined;
      if (options.regularHoursOnly) {
        const session = clock.session(new Date(now()));
        if (now() < session.open.getTime()) {
          enter("market_closed");
          nextAttemptAt = session.open.getTime();
          log.info({ ...context, opensAt: session.open.toISOString() }, "market closed; waiting");
          await sleep(nextAttemptAt - now(), stopping.signal);
          continue;
        }
        sessionClose = session.close.getTime();
      }
      enter("connecting");
      nextAttemptAt = undefined;
      connects += 1;
      options.onSessionStart?.();
      const end = await runSession({
        provider: options.provider,
        protocol,
        timings,
        now,
        signal: stopping.signal,
        sessionClose,
        marketOpen: (at) => marketOpenAt(clock, at),
        hooks,
      });
      options.onSessionEnd?.({ reason: end.reason, error: end.error });
      if (end.reason === "stopped") break;
      if (end.reason === "market_closed") {
        log.info({ ...context }, "market closed; disconnected until the next session");
        attempt = 0;
        await sleep(Math.max(0, (sessionClose ?? 0) - now()) + 1, stopping.signal);
        continue;
      }
      let error = end.error ?? new StreamError("closed", "the connection ended without a reason");
      if (end.lastDataAt !== undefined) earlyCloses = 0;
      else if (end.opened && error.code === "closed") {
        earlyCloses += 1;
        error = protocol.earlyCloseError?.(earlyCloses) ?? error;
      }
      limitRefusals = error.code === "connection_limit" ? limitRefusals + 1 : 0;
      lastError = error;
      if (end.subscribedAt !== undefined) {
        gapFrom ??= end.lastEventMs ?? end.subscribedAt - lagMs;
        gapUntil ??= sessionClose;
      }
      if (!isRetriable(error)) {
        enter("failed");
        log.error(
          { ...context, code: error.code, err: error.message },
          "stream stopped: reconnecting cannot fix this (check the key, the plan or the symbols)",
        );
        break;
      }
      const healthy =
        end.subscribedAt !== undefined &&
        (end.lastDataAt !== undefined || now() - end.subscribedAt >= timings.stableAfterMs);
      attempt = healthy ? 0 : attempt + 1;
      reconnects += 1;
      const shortRetries = timings.limitShortRetries ?? 3;
      const limitHeld = error.code === "connection_limit" && limitRefusals > shortRetries;
      const delay = reconnectDelay(
        timings,
        Math.max(0, attempt - (error.code === "connection_limit" ? shortRetries : 0)),
        error,
        limitRefusals,
      );
      nextAttemptAt = now() + delay;
      enter("backoff");
      reportReconnect(log, context, { error, attempt, refusals: limitRefusals, delay, limitHeld });
      await sleep(delay, stopping.signal);
    }
    if (state !== "failed") enter("stopped");
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    get state() {
      return state;
    },
    view() {
      const at = now();
      return {
        id: options.id,
        symbols: options.symbols,
        state,
        stateSinceMs: at - stateSince,
        connects,
        reconnects,
        messages,
        messagesPerSecond: meter.perSecond(),
        ticks,
        notices,
        lastMessageAgeMs: lastFrameAt === undefined ? null : at - lastFrameAt,
        lastDataAgeMs: lastDataAt === undefined ? null : at - lastDataAt,
        lastError: lastError ? { code: lastError.code, message: lastError.message } : null,
        nextAttemptAt: nextAttemptAt === undefined ? null : new Date(nextAttemptAt).toISOString(),
        ignored,
      };
    },
    check(): ProviderCheck {
      if (state === "streaming" || state === "market_closed") return { ok: true };
      const why = lastError ? `: ${lastError.code} (${lastError.message})` : "";
      return { ok: false, detail: `connection ${options.id} ${state}${why}` };
    },
  };
}

export type StreamConnection = ReturnType<typeof createStreamConnection>;
