import type { Logger } from "@repo/platform/log";
import type { StreamProvider, TickSink } from "../providers/provider.ts";
import {
  type ConnectionState,
  type ConnectionTimings,
  createStreamConnection,
  type MarketClock,
} from "./connection.ts";
import type { StreamProtocol } from "./protocol.ts";
import { createGapRecovery, type HistorySource } from "./recovery.ts";

export interface WebSocketProviderOptions {
  name: string;
  symbols: string[];
  /** The provider's per-connection symbol limit; more symbols open more connections. */
  maxSymbolsPerConnection: number;
  protocol: (symbols: string[]) => StreamProtocol;
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
 * A streaming provider over WebSockets: its symbols split into connections of at most
 * `maxSymbolsPerConnection`, each kept alive by `createStreamConnection`, all delivering to the
 * shared sink (gates, dedupe, buffer, forwarder), with one gap recovery fed by every reconnect and
 * by every tick the full buffer dropped.
 *
 * @example
 *   const alpaca = createWebSocketProvider({ name: "alpaca", symbols, maxSymbolsPerConnection: 30,
 *     protocol: (symbols) => alpacaProtocol({ ...keys, symbols }), history, regularHoursOnly: true,
 *     timings, gapOverlapMs: 2000, gapMaxMs: 23_400_000, log });
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
  const shards: string[][] = [];
  for (let i = 0; i < options.symbols.length; i += options.maxSymbolsPerConnection)
    shards.push(options.symbols.slice(i, i + options.maxSymbolsPerConnection));
  const connections = shards.map((symbols, id) =>
    createStreamConnection({
      provider: options.name,
      id,
      symbols,
      protocol: options.protocol(symbols),
      timings: options.timings,
      regularHoursOnly: options.regularHoursOnly,
      clock: options.clock,
      now: options.now,
      log,
      onTicks(result) {
        if (!sink) return;
        const outcome = sink.offer(result);
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
      },
      onGap: (gap) => recovery.add(gap),
    }),
  );

  return {
    name: options.name,
    start(target) {
      sink = target;
      recovery.start(target);
      for (const connection of connections) connection.start();
    },
    async stop() {
      await Promise.all(connections.map((connection) => connection.stop()));
      await recovery.stop();
    },
    view() {
      const views = connections.map((connection) => connection.view());
      const ages = views.flatMap((v) => (v.lastMessageAgeMs === null ? [] : [v.lastMessageAgeMs]));
      const state =
        SEVERITY.find((candidate) => views.some((v) => v.state === candidate)) ?? "stopped";
      return {
        state,
        symbols: options.symbols.length,
        regularHoursOnly: options.regularHoursOnly,
        messages: views.reduce((n, v) => n + v.messages, 0),
        messagesPerSecond: Math.round(views.reduce((n, v) => n + v.messagesPerSecond, 0) * 10) / 10,
        reconnects: views.reduce((n, v) => n + v.reconnects, 0),
        lastMessageAgeMs: ages.length > 0 ? Math.min(...ages) : null,
        ticks: offered,
        recovery: recovery.view(),
        connections: views,
      };
    },
    check() {
      const problems = connections.flatMap((connection) => {
        const check = connection.check();
        return check.ok ? [] : [check.detail];
      });
      return problems.length === 0 ? { ok: true } : { ok: false, detail: problems.join("; ") };
    },
  } satisfies StreamProvider;
}

/** What `/stats` shows of a WebSocket provider (under `providers.<name>`, with `mode: "stream"`). */
export type WebSocketStreamView = ReturnType<ReturnType<typeof createWebSocketProvider>["view"]>;
