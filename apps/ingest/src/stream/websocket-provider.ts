import type { Logger } from "@repo/platform/log";
import type { PollResult, RunScope, StreamProvider, TickSink } from "../providers/provider.ts";
import {
  type ConnectionState,
  type ConnectionTimings,
  createStreamConnection,
  exchangeClock,
  type MarketClock,
} from "./connection.ts";
import { createOverflowPoller, type OverflowSource } from "./overflow.ts";
import type { StreamProtocol } from "./protocol.ts";
import { createGapRecovery, type HistorySource } from "./recovery.ts";

export interface WebSocketProviderOptions {
  name: string;
  symbols: string[];
  /**
   * Symbols the plan streams on its one connection (Alpaca Basic: 30). The providers allow one
   * connection per endpoint and key, so symbols beyond this are polled through `overflow`.
   */
  planSymbolLimit: number;
  /** The variable that sets `planSymbolLimit`, named in logs and `/readyz`. */
  planLimitVariable?: string;
  protocol: (symbols: string[]) => StreamProtocol;
  /** REST polling of the latest trades and quotes for symbols beyond `planSymbolLimit`. */
  overflow?: OverflowSource;
  /** The provider's REST history for gap recovery, when the plan has one. */
  history?: HistorySource;
  regularHoursOnly: boolean;
  timings: ConnectionTimings;
  gapOverlapMs: number;
  gapMaxMs: number;
  clock?: MarketClock;
  log: Logger;
  now?: () => number;
}

/** Worst first: the aggregate state of a provider is that of its worst connection. */
const SEVERITY: readonly ConnectionState[] = [
  "failed",
  "backoff",
  "connecting",
  "authenticating",
  "subscribing",
  "market_closed",
  "streaming",
  "stopped",
];

/**
 * A streaming provider over WebSockets: one connection per endpoint and key (Alpaca and Finnhub
 * refuse a second), carrying up to `planSymbolLimit` symbols and kept alive by
 * `createStreamConnection`; symbols beyond the plan's limit are polled over REST (`overflow`) and
 * named in the log, `/stats` and `/readyz`. Everything is delivered to the shared sink (gates,
 * dedupe, buffer, forwarder), with one gap recovery fed by every reconnect and by every tick the
 * full buffer dropped.
 *
 * @example
 *   const alpaca = createWebSocketProvider({ name: "alpaca", symbols, planSymbolLimit: 30,
 *     protocol: (symbols) => alpacaProtocol({ ...keys, symbols }), history, overflow,
 *     regularHoursOnly: true, timings, gapOverlapMs: 2000, gapMaxMs: 23_400_000, log });
 *   alpaca.start(ingest.sinkFor("alpaca"));
 */
export function createWebSocketProvider(options: WebSocketProviderOptions) {
  const { log } = options;
  const recovery = createGapRecovery({
    provider: options.name,
    history: options.history,
    log,
    overlapMs: options.gapOverlapMs,
    maxMs: options.gapMaxMs,
    now: options.now,
  });
  const offered = { accepted: 0, rejected: 0, dropped: 0 };
  let sink: TickSink | undefined;
  /** The run of the current connection attempt (its stream session). */
  let session: RunScope | undefined;
  const limitVariable = options.planLimitVariable ?? "the plan's symbol limit";
  const streamed = options.symbols.slice(0, options.planSymbolLimit);
  const beyond = options.symbols.slice(options.planSymbolLimit);

  const deliver = (result: PollResult) => {
    if (!sink) return;
    const outcome = (session?.sink ?? sink).offer(result);
    offered.accepted += outcome.accepted;
    offered.rejected += outcome.rejected;
    offered.dropped += outcome.dropped;
    if (outcome.droppedSpan)
      recovery.add({
        symbols: outcome.droppedSpan.symbols,
        fromMs: Math.floor(outcome.droppedSpan.fromMicros / 1000),
        toMs: Math.ceil(outcome.droppedSpan.toMicros / 1000),
        reason: "dropped",
      });
  };

  /** Paused by an operator: no connection, no overflow polling, until resumed. */
  let paused = false;
  const connect = () =>
    createStreamConnection({
      provider: options.name,
      id: 0,
      symbols: streamed,
      protocol: options.protocol(streamed),
      timings: options.timings,
      regularHoursOnly: options.regularHoursOnly,
      clock: options.clock,
      now: options.now,
      log,
      onTicks: deliver,
      onGap: (gap) => recovery.add(gap),
      onSessionStart() {
        session?.run.end("ok");
        session = sink?.begin?.("stream_session", { connection: 0, symbols: streamed });
      },
      onSessionEnd(end) {
        if (end.reason === "stopped" && paused)
          session?.run.end("cancelled", "paused by an operator");
        else {
          const outcome =
            end.reason === "failed" ? "failed" : end.reason === "stopped" ? "interrupted" : "ok";
          session?.run.end(
            outcome,
            end.error ? `${end.error.code}: ${end.error.message}` : undefined,
          );
        }
        session = undefined;
      },
    });
  let connection = connect();
  const makePoller = () =>
    beyond.length > 0 && options.overflow
      ? createOverflowPoller({
          provider: options.name,
          symbols: beyond,
          source: options.overflow,
          regularHoursOnly: options.regularHoursOnly,
          clock: options.clock ?? exchangeClock,
          log,
          deliver,
        })
      : undefined;
  let poller = makePoller();
  const beyondDetail = `${beyond.length} symbols beyond ${limitVariable} (${options.planSymbolLimit})`;

  return {
    name: options.name,
    start(target) {
      sink = target;
      recovery.start(target);
      if (beyond.length > 0) {
        const context = { provider: options.name, limit: options.planSymbolLimit, symbols: beyond };
        if (poller)
          log.warn(
            context,
            `${beyondDetail} are polled over REST (latest trade and quote), not streamed: the plan streams ${options.planSymbolLimit} symbols on its one connection`,
          );
        else log.error(context, `${beyondDetail} are not ingested: this provider cannot poll them`);
      }
      if (paused) return;
      connection.start();
      poller?.start();
    },
    async stop() {
      await Promise.all([connection.stop(), poller?.stop()]);
      await recovery.stop();
    },
    /**
     * Closes the connection and stops overflow polling until `resume` (gap recovery of earlier gaps
     * goes on). The paused interval is not a gap: nothing is recovered for it.
     */
    async pause() {
      if (paused) return;
      paused = true;
      log.info({ provider: options.name }, "stream paused by an operator; disconnecting");
      await Promise.all([connection.stop(), poller?.stop()]);
    },
    /** Connects again (a new connection, a fresh backoff) after `pause`. */
    resume() {
      if (!paused) return;
      paused = false;
      connection = connect();
      poller = makePoller();
      if (!sink) return;
      log.info({ provider: options.name }, "stream resumed by an operator; connecting");
      connection.start();
      poller?.start();
    },
    get paused() {
      return paused;
    },
    view() {
      const views = [connection.view()];
      const ages = views.flatMap((v) => (v.lastMessageAgeMs === null ? [] : [v.lastMessageAgeMs]));
      const state = paused
        ? ("paused" as const)
        : (SEVERITY.find((candidate) => views.some((v) => v.state === candidate)) ?? "stopped");
      return {
        state,
        symbols: options.symbols.length,
        planSymbolLimit: options.planSymbolLimit,
        streamedSymbols: streamed.length,
        regularHoursOnly: options.regularHoursOnly,
        messages: views.reduce((n, v) => n + v.messages, 0),
        messagesPerSecond: Math.round(views.reduce((n, v) => n + v.messagesPerSecond, 0) * 10) / 10,
        reconnects: views.reduce((n, v) => n + v.reconnects, 0),
        lastMessageAgeMs: ages.length > 0 ? Math.min(...ages) : null,
        ticks: offered,
        recovery: recovery.view(),
        /** Symbols beyond the plan's limit: polled over REST, or not ingested when the provider cannot. */
        overflow:
          beyond.length === 0
            ? null
            : (poller?.view() ?? { symbols: beyond, state: "not_ingested" as const }),
        connections: views,
      };
    },
    check() {
      if (paused) return { ok: true, detail: "paused by an operator" };
      const connectionCheck = connection.check();
      const problems = connectionCheck.ok ? [] : [connectionCheck.detail];
      if (beyond.length > 0) {
        const polled = poller?.check();
        if (!polled) problems.push(`${beyondDetail} not ingested: ${beyond.join(",")}`);
        else if (!polled.ok) problems.push(`${beyondDetail}: ${polled.detail}`);
      }
      if (problems.length > 0) return { ok: false, detail: problems.join("; ") };
      return beyond.length === 0
        ? { ok: true }
        : { ok: true, detail: `${beyondDetail} polled over REST: ${beyond.join(",")}` };
    },
  } satisfies StreamProvider;
}

/** What `/stats` shows of a WebSocket provider (under `providers.<name>`, with `mode: "stream"`). */
export type WebSocketStreamView = ReturnType<ReturnType<typeof createWebSocketProvider>["view"]>;
