import type { PollResult } from "../providers/provider.ts";
import { handshakeError, StreamError } from "./errors.ts";
import type { StreamProtocol, StreamSession } from "./protocol.ts";

/** The timings one session is watched by (see `ConnectionTimings`). */
export interface SessionTimings {
  connectTimeoutMs: number;
  pingIntervalMs: number;
  staleAfterMs: number;
}

/** How a session ended, with what the connection needs to reconnect and report the gap. */
export interface SessionEnd {
  reason: "failed" | "stopped" | "market_closed";
  error?: StreamError;
  subscribedAt?: number;
  lastDataAt?: number;
  /** The newest event time (ms) the session delivered. */
  lastEventMs?: number;
  /** Whether the socket opened (the handshake succeeded). */
  opened: boolean;
}

/** What a session tells the connection that owns it, as it happens. */
export interface SessionHooks {
  /** The protocol moved on: the socket opened, the server accepted the credentials, or subscribed. */
  enter(state: "authenticating" | "subscribing" | "streaming"): void;
  /** The connection's state, for the connect-timeout message. */
  state(): string;
  /** Subscribed at `at` (once per session). */
  subscribed(at: number): void;
  /** A frame or a pong arrived at `at`. */
  alive(at: number): void;
  /** A message arrived (counted before the protocol reads it). */
  message(): void;
  /** Candidate ticks received at `at`; `newestMs` the newest event time among them. */
  data(result: PollResult, at: number, newestMs: number | undefined): void;
  ignored(type: string): void;
  notice(message: string): void;
}

export interface SessionOptions {
  provider: string;
  protocol: StreamProtocol;
  timings: SessionTimings;
  now: () => number;
  /** Aborting ends the session as `stopped`. */
  signal: AbortSignal;
  /** When the regular session closes (regular hours only): the session ends `market_closed` then. */
  sessionClose: number | undefined;
  marketOpen(at: number): boolean;
  hooks: SessionHooks;
}

/**
 * One WebSocket session: open, authenticate and subscribe through the protocol, then watch it (a
 * ping when quiet, `no_pong` when nothing answers, `stale` when no data arrives while the market is
 * open) until it fails, is stopped, or the market closes. Never rejects: every end is a
 * {@link SessionEnd}.
 *
 * @example
 *   const end = await runSession({ provider: "alpaca", protocol, timings, now: Date.now,
 *     signal, sessionClose: undefined, marketOpen: () => true, hooks });
 *   if (end.reason === "failed") log.warn({ code: end.error?.code }, "reconnecting");
 */
export function runSession(options: SessionOptions): Promise<SessionEnd> {
  const { protocol, timings, now, hooks } = options;
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
      options.signal.removeEventListener("abort", onStop);
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
      authenticated: () => hooks.enter("subscribing"),
      subscribed() {
        if (subscribedAt !== undefined) return;
        subscribedAt = now();
        clearTimeout(connectTimer);
        hooks.subscribed(subscribedAt);
      },
      ticks(result) {
        sessionDataAt = now();
        const newest = newestEventMs(result.ticks);
        if (newest !== undefined) sessionEventMs = Math.max(sessionEventMs ?? newest, newest);
        hooks.data(result, sessionDataAt, newest);
      },
      ignored: (type) => hooks.ignored(type),
      notice: (message) => hooks.notice(message),
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
            `not subscribed within ${timings.connectTimeoutMs} ms (state ${hooks.state()})`,
          ),
        ),
      timings.connectTimeoutMs,
    );
    timers.push(connectTimer);
    if (options.sessionClose !== undefined)
      timers.push(
        setTimeout(() => finish("market_closed"), Math.max(0, options.sessionClose - now())),
      );
    options.signal.addEventListener("abort", onStop, { once: true });

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
        if (subscribedAt !== undefined && options.marketOpen(at)) {
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
      pinged = false;
      hooks.alive(quietSince);
    };
    socket.addEventListener("open", () => {
      opened = true;
      alive();
      hooks.enter("authenticating");
      protocol.onOpen(session);
    });
    socket.addEventListener("pong", alive);
    socket.addEventListener("message", (event) => {
      alive();
      hooks.message();
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
      finish(
        "failed",
        opened
          ? new StreamError(
              "closed",
              `socket error: ${socketErrorText(event, protocol) || "no detail"}`,
            )
          : handshakeError(socketErrorText(event, protocol)),
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

/** Bun's error text names the URL, which may carry a token (Finnhub): only the display URL is kept. */
function socketErrorText(event: Event, protocol: StreamProtocol): string {
  return ((event as ErrorEvent).message ?? "")
    .split(protocol.url())
    .join(protocol.displayUrl)
    .replace(/([?&][^=&\s'"]*(?:token|key|secret)[^=&\s'"]*=)[^&\s'"]*/gi, "$1<redacted>");
}

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
