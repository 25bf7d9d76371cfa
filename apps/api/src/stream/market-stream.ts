import type { Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { StoredBar } from "../market/rollup.ts";
import { MINUTE_US } from "../market/time.ts";
import { METRIC } from "../stats.ts";

export type StreamEvent =
  | { event: "quote"; symbol: string; tick: Tick }
  | { event: "bar"; symbol: string; bar: StoredBar };

/** What the stream reads: the latest tick per symbol and the recent 1-minute bars of many symbols. */
export interface StreamSource {
  latest(symbols?: readonly string[]): Promise<Tick[]>;
  recentBars(
    symbols: readonly string[],
    fromUs: number,
    toUs: number,
  ): Promise<Map<string, StoredBar[]>>;
}

/** What a subscriber is told: each event it wants, and the end of the stream (shutdown). */
export interface StreamListener {
  send(event: StreamEvent): void;
  end(reason: "shutdown"): void;
}

export interface MarketStream {
  /** Delivers changes of `symbols` (every symbol when null) to `listener`; returns the unsubscribe. */
  subscribe(symbols: readonly string[] | null, listener: StreamListener): () => void;
  clients(): number;
  /** Stops polling and ends every subscription (`end("shutdown")`). */
  close(): void;
}

interface Subscriber {
  symbols: Set<string> | null;
  listener: StreamListener;
}

/**
 * Live quotes and 1-minute bars for SSE clients, by polling Cassandra: one shared loop (running only
 * while someone listens) reads `latest_quotes` for the union of the symbols anyone wants (the whole
 * table once when someone wants every symbol) every `pollMs`; the bars of every symbol whose latest
 * tick changed are read together (one query per 50 symbols and day, for that tick's minute and the
 * one before; the consumer writes bars before the latest quote, so the bar is there). The poll turns
 * what changed into one list of events, and each subscriber takes the events of its symbols from it:
 * the cost of a poll does not grow with the subscribers or their filters. A new subscriber first gets
 * the current state.
 *
 * Why polling and not Kafka: the api runs on Bun, where librdkafka does not load; tailing
 * `market.ticks` would need a Node process. A few small queries per interval cost Cassandra little
 * and show exactly what was stored.
 *
 * @example
 *   const stream = createMarketStream({ source: reader, pollMs: 1000, log, stats });
 *   const stop = stream.subscribe(["AAPL"], { send: (e) => console.log(e.event), end: () => {} });
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

  /**
   * Reads the bars of `changed` symbols (their latest tick's minute and the one before), one read
   * per distinct minute (usually the current one), and adds those that differ from what is held.
   */
  async function refreshBars(changed: Tick[], events: StreamEvent[]) {
    const byMinute = new Map<number, string[]>();
    for (const tick of changed) {
      const minute = Math.floor(tick.eventTime / MINUTE_US) * MINUTE_US;
      byMinute.set(minute, [...(byMinute.get(minute) ?? []), tick.symbol]);
    }
    for (const [minute, symbols] of byMinute) {
      const found = await source.recentBars(symbols, minute - MINUTE_US, minute + MINUTE_US);
      for (const symbol of symbols) {
        const held = bars.get(symbol);
        const recent = new Map<number, { key: string; bar: StoredBar }>();
        for (const bar of found.get(symbol) ?? []) {
          const key = barKey(bar);
          recent.set(bar.start, { key, bar });
          if (held?.get(bar.start)?.key !== key) events.push({ event: "bar", symbol, bar });
        }
        bars.set(symbol, recent);
      }
    }
  }

  async function poll() {
    const started = performance.now();
    const latest = await source.latest(wanted());
    const events: StreamEvent[] = [];
    const changed: Tick[] = [];
    const present = new Set<string>();
    for (const tick of latest) {
      present.add(tick.symbol);
      const key = `${tick.eventTime}|${tick.source}|${tick.sequence}`;
      if (quotes.get(tick.symbol)?.key === key) continue;
      quotes.set(tick.symbol, { key, tick });
      changed.push(tick);
      events.push({ event: "quote", symbol: tick.symbol, tick });
    }
    for (const symbol of quotes.keys()) {
      if (!present.has(symbol)) {
        quotes.delete(symbol);
        bars.delete(symbol);
      }
    }
    if (changed.length > 0) await refreshBars(changed, events);
    stats.counter(METRIC.streamPolls).add();
    stats.latency(METRIC.streamPollMs).record(performance.now() - started);
    for (const subscriber of subscribers) for (const event of events) deliver(subscriber, event);
  }

  function deliver(subscriber: Subscriber, event: StreamEvent) {
    if (subscriber.symbols !== null && !subscriber.symbols.has(event.symbol)) return;
    stats.counter(METRIC.streamEvents(event.event)).add();
    subscriber.listener.send(event);
  }

  /** The state held now, as events: what a new subscriber is sent first. */
  function snapshot(): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (const [symbol, { tick }] of quotes) {
      events.push({ event: "quote", symbol, tick });
      const byMinute = [...(bars.get(symbol) ?? new Map()).values()];
      for (const { bar } of byMinute.sort((a, b) => a.bar.start - b.bar.start))
        events.push({ event: "bar", symbol, bar });
    }
    return events;
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
    subscribe(symbols, listener) {
      const subscriber: Subscriber = {
        symbols: symbols === null ? null : new Set(symbols),
        listener,
      };
      if (closed) {
        listener.end("shutdown");
        return () => {};
      }
      subscribers.add(subscriber);
      for (const event of snapshot()) deliver(subscriber, event);
      if (timer === undefined && !polling) void loop();
      return () => {
        subscribers.delete(subscriber);
      };
    },
    clients: () => subscribers.size,
    close() {
      closed = true;
      clearTimeout(timer);
      const ending = [...subscribers];
      subscribers.clear();
      for (const subscriber of ending) subscriber.listener.end("shutdown");
    },
  };
}

const barKey = (bar: StoredBar) =>
  `${bar.trades}|${bar.volume}|${bar.open}|${bar.high}|${bar.low}|${bar.close}|${bar.vwap}`;
