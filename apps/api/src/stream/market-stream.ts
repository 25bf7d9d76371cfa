import type { Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { StoredBar } from "../market/rollup.ts";
import { MINUTE_US } from "../market/time.ts";
import { METRIC } from "../stats.ts";

export type StreamEvent =
  | { event: "quote"; symbol: string; tick: Tick }
  | { event: "bar"; symbol: string; bar: StoredBar };

/** What the stream reads: the latest tick per symbol and a symbol's recent 1-minute bars. */
export interface StreamSource {
  latest(symbols?: readonly string[]): Promise<Tick[]>;
  minuteBars(symbol: string, fromUs: number, toUs: number): Promise<StoredBar[]>;
}

export interface MarketStream {
  /** Delivers changes of `symbols` (every symbol when null) to `send`; returns the unsubscribe. */
  subscribe(symbols: readonly string[] | null, send: (event: StreamEvent) => void): () => void;
  clients(): number;
  close(): void;
}

interface Subscriber {
  symbols: Set<string> | null;
  send: (event: StreamEvent) => void;
  sentQuotes: Map<string, string>;
  sentBars: Map<string, string>;
}

/**
 * Live quotes and 1-minute bars for SSE clients, by polling Cassandra: one shared loop (running only
 * while someone listens) reads `latest_quotes` for the symbols anyone wants every `pollMs`; for each
 * symbol whose latest tick changed it reads that tick's minute and the one before from `bars_1m`
 * (the consumer writes bars before the latest quote, so the bar is there). Each subscriber is sent
 * what differs from what it was last sent, so a new one first gets the current state.
 *
 * Why polling and not Kafka: the api runs on Bun, where librdkafka does not load; tailing
 * `market.ticks` would need a Node process. One small query per interval (plus one per changed
 * symbol) costs Cassandra little and shows exactly what was stored.
 *
 * @example
 *   const stream = createMarketStream({ source: reader, pollMs: 1000, log, stats });
 *   const stop = stream.subscribe(["AAPL"], (e) => console.log(e.event, e.symbol));
 */
export function createMarketStream(options: {
  source: StreamSource;
  pollMs: number;
  log: Logger;
  stats: Stats;
}): MarketStream {
  const { source, log, stats } = options;
  const subscribers = new Set<Subscriber>();
  const quotes = new Map<string, { key: string; tick: Tick }>();
  /** symbol → minute start → bar. */
  const bars = new Map<string, Map<number, { key: string; bar: StoredBar }>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let polling = false;
  let failing = false;
  let closed = false;

  function wanted(): readonly string[] | undefined {
    const union = new Set<string>();
    for (const subscriber of subscribers) {
      if (subscriber.symbols === null) return undefined;
      for (const symbol of subscriber.symbols) union.add(symbol);
    }
    return [...union].sort();
  }

  async function refreshBars(tick: Tick) {
    const minute = Math.floor(tick.eventTime / MINUTE_US) * MINUTE_US;
    const recent = await source.minuteBars(tick.symbol, minute - MINUTE_US, minute + MINUTE_US);
    const byMinute = new Map<number, { key: string; bar: StoredBar }>();
    for (const bar of recent) byMinute.set(bar.start, { key: barKey(bar), bar });
    bars.set(tick.symbol, byMinute);
  }

  async function poll() {
    const symbols = wanted();
    const started = performance.now();
    const latest = await source.latest(symbols);
    const changed: Tick[] = [];
    const present = new Set<string>();
    for (const tick of latest) {
      present.add(tick.symbol);
      const key = `${tick.eventTime}|${tick.source}|${tick.sequence}`;
      if (quotes.get(tick.symbol)?.key === key) continue;
      quotes.set(tick.symbol, { key, tick });
      changed.push(tick);
    }
    for (const symbol of quotes.keys()) {
      if (!present.has(symbol)) {
        quotes.delete(symbol);
        bars.delete(symbol);
      }
    }
    for (const tick of changed) await refreshBars(tick);
    stats.counter(METRIC.streamPolls).add();
    stats.latency(METRIC.streamPollMs).record(performance.now() - started);
    for (const subscriber of subscribers) deliver(subscriber);
  }

  function deliver(subscriber: Subscriber) {
    const wants = (symbol: string) => subscriber.symbols === null || subscriber.symbols.has(symbol);
    for (const [symbol, { key, tick }] of quotes) {
      if (!wants(symbol) || subscriber.sentQuotes.get(symbol) === key) continue;
      subscriber.sentQuotes.set(symbol, key);
      stats.counter(METRIC.streamEvents("quote")).add();
      subscriber.send({ event: "quote", symbol, tick });
    }
    const current = new Set<string>();
    for (const [symbol, byMinute] of bars) {
      if (!wants(symbol)) continue;
      for (const [start, { key, bar }] of [...byMinute].sort((a, b) => a[0] - b[0])) {
        const id = `${symbol}|${start}`;
        current.add(id);
        if (subscriber.sentBars.get(id) === key) continue;
        subscriber.sentBars.set(id, key);
        stats.counter(METRIC.streamEvents("bar")).add();
        subscriber.send({ event: "bar", symbol, bar });
      }
    }
    for (const id of subscriber.sentBars.keys())
      if (!current.has(id)) subscriber.sentBars.delete(id);
  }

  async function loop() {
    if (polling || closed) return;
    polling = true;
    try {
      await poll();
      if (failing) log.info("stream polling recovered");
      failing = false;
    } catch (error) {
      stats.counter(METRIC.streamPollErrors).add();
      if (!failing) log.warn({ err: error }, "stream poll failed; retrying every interval");
      failing = true;
    } finally {
      polling = false;
    }
    timer = subscribers.size > 0 && !closed ? setTimeout(loop, options.pollMs) : undefined;
  }

  return {
    subscribe(symbols, send) {
      const subscriber: Subscriber = {
        symbols: symbols === null ? null : new Set(symbols),
        send,
        sentQuotes: new Map(),
        sentBars: new Map(),
      };
      subscribers.add(subscriber);
      if (timer === undefined && !polling) void loop();
      else deliver(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },
    clients: () => subscribers.size,
    close() {
      closed = true;
      clearTimeout(timer);
      subscribers.clear();
    },
  };
}

const barKey = (bar: StoredBar) =>
  `${bar.trades}|${bar.volume}|${bar.open}|${bar.high}|${bar.low}|${bar.close}|${bar.vwap}`;
