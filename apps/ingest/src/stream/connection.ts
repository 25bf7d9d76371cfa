import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { PollResult, ProviderCheck } from "../providers/provider.ts";
import { currentOrNextSession } from "../schedule/calendar.ts";
import { handshakeError, StreamError } from "./errors.ts";
import { createRateMeter } from "./meter.ts";
import type { StreamProtocol, StreamSession } from "./protocol.ts";

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

/** When the exchange's regular session is open: the one open at `at`, or else the next. */
export interface MarketClock {
  session(at: Date): { open: Date; close: Date };
}

/** The US equity calendar (holidays, early closes). */
export const exchangeClock: MarketClock = { session: (at) => currentOrNextSession(at) };

/** A market that never closes (tests, and providers streaming at every hour still use the calendar for staleness). */
export const alwaysOpen: MarketClock = {
  session: () => ({ open: new Date(0), close: new Date(8.64e15) }),
};

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

interface SessionEnd {
  reason: "failed" | "stopped" | "market_closed";
  error?: StreamError;
  subscribedAt?: number;
  lastDataAt?: number;
  /** The newest event time (ms) the session delivered. */
  lastEventMs?: number;
  /** Whether the socket opened (the handshake succeeded). */
  opened: boolean;
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
  const marketOpen = (at: number) => {
    const session = clock.session(new Date(at));
    return at >= session.open.getTime() && at < session.close.getTime();
  };

  function runSession(sessionClose: number | undefined): Promise<SessionEnd> {
    return new Promise((resolve) => {
      let subscribedAt: number | undefined;
      let sessionDataAt: number | undefined;
      let sessionEventMs: number | undefined;
      let quietSince = now();
      let pinged = false;
      let finished = false;
      let opened = false;
      let socket: WebSocket;
      const timers: ReturnType<typeof setTimeout>[] = [];
      let connectTimer: ReturnType<typeof setTimeout> | undefined;

      const finish = (reason: SessionEnd["reason"], error?: StreamError) => {
        if (finished) return;
        finished = true;
        for (const timer of timers) clearTimeout(timer);
        clearInterval(watchdog);
        stopping.signal.removeEventListener("abort", onStop);
        try {
          if (reason === "failed" && error?.code !== "closed") socket.terminate();
          else socket.close(1000);
        } catch {
          // already closed
        }
        resolve({
          reason,
          error,
          subscribedAt,
          lastDataAt: sessionDataAt,
          lastEventMs: sessionEventMs,
          opened,
        });
      };
      const onStop = () => finish("stopped");

      const session: StreamSession = {
        send(message) {
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
        },
        authenticated() {
          enter("subscribing");
        },
        subscribed() {
          if (subscribedAt !== undefined) return;
          subscribedAt = now();
          clearTimeout(connectTimer);
          enter("streaming");
          lastError = undefined;
          log.info({ ...context, symbols: options.symbols.length }, "stream subscribed");
          resumeAfterGap(subscribedAt);
        },
        ticks(result) {
          sessionDataAt = now();
          lastDataAt = sessionDataAt;
          const newest = newestEventMs(result.ticks);
          if (newest !== undefined) {
            sessionEventMs = Math.max(sessionEventMs ?? newest, newest);
            lagMs = sessionDataAt - newest;
          }
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
        fail: (error) => finish("failed", error),
      };

      try {
        socket = new WebSocket(protocol.url());
      } catch (error) {
        resolve({
          reason: "failed",
          error: new StreamError("closed", `cannot open ${protocol.displayUrl}`, { cause: error }),
          opened: false,
        });
        return;
      }
      connectTimer = setTimeout(
        () =>
          finish(
            "failed",
            new StreamError(
              "connect_timeout",
              `not subscribed within ${timings.connectTimeoutMs} ms (state ${state})`,
            ),
          ),
        timings.connectTimeoutMs,
      );
      timers.push(connectTimer);
      if (sessionClose !== undefined)
        timers.push(setTimeout(() => finish("market_closed"), Math.max(0, sessionClose - now())));
      stopping.signal.addEventListener("abort", onStop, { once: true });

      const watchdog = setInterval(
        () => {
          const at = now();
          if (at - quietSince > 2 * timings.pingIntervalMs) {
            finish(
              "failed",
              new StreamError(
                "no_pong",
                `no frame and no pong for ${2 * timings.pingIntervalMs} ms; the connection is dead`,
              ),
            );
            return;
          }
          if (!pinged && at - quietSince > timings.pingIntervalMs) {
            pinged = true;
            try {
              socket.ping();
            } catch {
              // closing
            }
          }
          if (subscribedAt !== undefined && marketOpen(at)) {
            const silentFor = at - (sessionDataAt ?? subscribedAt);
            if (silentFor > timings.staleAfterMs)
              finish(
                "failed",
                new StreamError(
                  "stale",
                  `no data for ${silentFor} ms while the market is open; reconnecting`,
                ),
              );
          }
        },
        Math.max(10, Math.min(1_000, timings.pingIntervalMs / 4, timings.staleAfterMs / 4)),
      );

      const alive = () => {
        quietSince = now();
        lastFrameAt = quietSince;
        pinged = false;
      };
      socket.addEventListener("open", () => {
        opened = true;
        alive();
        enter("authenticating");
        protocol.onOpen(session);
      });
      socket.addEventListener("pong", alive);
      socket.addEventListener("message", (event) => {
        alive();
        messages += 1;
        meter.mark();
        const text =
          typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
        try {
          protocol.onMessage(text, session);
        } catch (error) {
          session.ticks({
            ticks: [],
            malformed: [`${options.provider} frame not understood: ${(error as Error).message}`],
          });
        }
      });
      socket.addEventListener("error", (event) => {
        // Bun's text names the URL, which may carry a token (Finnhub): only the display URL is kept.
        const message = ((event as ErrorEvent).message ?? "")
          .split(protocol.url())
          .join(protocol.displayUrl)
          .replace(/([?&][^=&\s'"]*(?:token|key|secret)[^=&\s'"]*=)[^&\s'"]*/gi, "$1<redacted>");
        finish(
          "failed",
          opened
            ? new StreamError("closed", `socket error: ${message || "no detail"}`)
            : handshakeError(message),
        );
      });
      socket.addEventListener("close", (event) => {
        finish(
          "failed",
          new StreamError(
            "closed",
            `closed by the server (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`,
          ),
        );
      });
    });
  }

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

  function resumeAfterGap(subscribedAt: number) {
    if (gapFrom === undefined) return;
    const resumedAt = subscribedAt - lagMs;
    const toMs = Math.min(resumedAt, gapUntil ?? resumedAt);
    const gap: Gap = { symbols: options.symbols, fromMs: gapFrom, toMs, reason: "disconnect" };
    gapFrom = undefined;
    gapUntil = undefined;
    if (toMs > gap.fromMs) options.onGap(gap);
  }

  function retryDelay(attempt: number, error: StreamError, limitRefusals: number): number {
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
      const end = await runSession(sessionClose);
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
      if (!error.retriable) {
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
      const delay = retryDelay(
        Math.max(0, attempt - (error.code === "connection_limit" ? shortRetries : 0)),
        error,
        limitRefusals,
      );
      nextAttemptAt = now() + delay;
      enter("backoff");
      const detail = {
        ...context,
        code: error.code,
        err: error.message,
        refusals: limitRefusals,
        retryInMs: Math.round(delay),
      };
      if (limitHeld)
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

/** The newest numeric event time (µs) among candidates, in milliseconds. */
function newestEventMs(candidates: readonly unknown[]): number | undefined {
  let newest: number | undefined;
  for (const candidate of candidates) {
    const eventTime = (candidate as { eventTime?: unknown } | null)?.eventTime;
    if (typeof eventTime === "number" && Number.isFinite(eventTime))
      newest = Math.max(newest ?? eventTime, eventTime);
  }
  return newest === undefined ? undefined : Math.floor(newest / 1000);
}
