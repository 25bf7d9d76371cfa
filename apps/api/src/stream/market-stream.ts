import type { Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { StoredBar } from "../market/rollup.ts";
import { MINUTE_US } from "../market/time.ts";
import { METRIC } from "../stats.ts";
import type { StreamEvent, StreamFeed } from "./feed.ts";

/** What a new subscriber's first events are read from: Cassandra's latest ticks and 1-minute bars. */
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
  /** Applies events from the feed (Kafka) and delivers those that change what is held. */
  publish(events: readonly StreamEvent[]): void;
  clients(): number;
  /** Stops the feed and ends every subscription (`end("shutdown")`). */
  close(): Promise<void>;
}

interface Subscriber {
  symbols: Set<string> | null;
  listener: StreamListener;
  /** False until its first events (the snapshot) were sent; it gets nothing else before. */
  ready: boolean;
}

/** Event-time order of ticks of one symbol, as `latest_quotes` keeps them: time, sequence, source. */
function isAfter(a: Tick, b: Tick): boolean {
  if (a.eventTime !== b.eventTime) return a.eventTime > b.eventTime;
  if (a.sequence !== b.sequence) return a.sequence > b.sequence;
  return a.source > b.source;
}

/**
 * Live quotes and 1-minute bars for SSE clients, fed from Kafka. While anyone listens, `feed` tails
 * `market.ticks` and `market.bars.1m` from their ends (no consumer group, nothing committed) and
 * {@link MarketStream.publish} applies each decoded record: a tick becomes the symbol's quote when it
 * is newer (event time, sequence, source: the order `latest_quotes` keeps), a bar replaces the held
 * bar of its minute. Each change goes once to every subscriber of its symbol; the cost does not grow
 * with the subscribers' filters.
 *
 * A new subscriber first gets a snapshot: the latest tick of each of its symbols from Cassandra
 * (`latest_quotes`, unless the feed already holds a newer one) and the bars of that tick's minute and
 * the one before, then every change after. Held quotes and bars outlive the feed (which stops
 * `idleStopMs` after the last subscriber leaves); the next snapshot refreshes them from Cassandra.
 *
 * @example
 *   const stream = createMarketStream({ source: reader, feed, log, stats });
 *   const stop = stream.subscribe(["AAPL"], { send: (e) => console.log(e.event), end: () => {} });
 */
export function createMarketStream(options: {
  source: StreamSource;
  feed: StreamFeed;
  log: Logger;
  stats: Stats;
  /** How long the feed keeps running with nobody listening (default 30 s). */
  idleStopMs?: number;
  /** Longest wait between attempts to start the feed (default 10 s). */
  retryMaxMs?: number;
  /** Longest a snapshot waits for the feed to be in place before reading Cassandra (default 5 s). */
  feedWaitMs?: number;
}): MarketStream {
  const { source, feed, log, stats } = options;
  const subscribers = new Set<Subscriber>();
  const quotes = new Map<string, Tick>();
  /** symbol → minute start → bar. */
  const bars = new Map<string, Map<number, StoredBar>>();
  let feedState: "stopped" | "starting" | "running" | "stopping" = "stopped";
  /** The feed's start or stop under way, awaited before the next one. */
  let pending: Promise<unknown> = Promise.resolve();
  /** Waiters for the feed to be running (its positions fixed). */
  const whenRunning: (() => void)[] = [];
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;

  function deliver(event: StreamEvent) {
    for (const subscriber of subscribers) if (subscriber.ready) sendTo(subscriber, event);
  }
  function sendTo(subscriber: Subscriber, event: StreamEvent) {
    if (subscriber.symbols !== null && !subscriber.symbols.has(event.symbol)) return;
    stats.counter(METRIC.streamEvents(event.event)).add();
    subscriber.listener.send(event);
  }

  /** Holds `tick` if it is newer than the held quote; whether it was. */
  function holdQuote(tick: Tick): boolean {
    const held = quotes.get(tick.symbol);
    if (held && !isAfter(tick, held)) return false;
    quotes.set(tick.symbol, tick);
    return true;
  }
  /** Holds `bar`; keeps a symbol's two newest minutes. Whether it changed what was held. */
  function holdBar(symbol: string, bar: StoredBar, only: "newer" | "always"): boolean {
    let minutes = bars.get(symbol);
    if (!minutes) {
      minutes = new Map();
      bars.set(symbol, minutes);
    }
    const held = minutes.get(bar.start);
    if (held && barKey(held) === barKey(bar)) return false;
    if (held && only === "newer" && bar.trades < held.trades) return false;
    minutes.set(bar.start, bar);
    const newest = Math.max(...minutes.keys());
    for (const start of minutes.keys()) if (start < newest - MINUTE_US) minutes.delete(start);
    return minutes.has(bar.start);
  }

  /** Resolves once the feed runs, or after `feedWaitMs`. */
  function feedInPlace(): Promise<void> {
    if (feedState === "running") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, options.feedWaitMs ?? 5_000);
      whenRunning.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Reads the subscriber's symbols from Cassandra into what is held, then sends it what is held.
   * It first waits for the feed to be in place: a tick written after that comes through Kafka, one
   * written before is in Cassandra once the consumer stored it.
   */
  async function snapshot(subscriber: Subscriber) {
    await feedInPlace();
    const started = performance.now();
    try {
      const symbols = subscriber.symbols === null ? undefined : [...subscriber.symbols].sort();
      const latest = await source.latest(symbols);
      const byMinute = new Map<number, string[]>();
      for (const tick of latest) {
        if (holdQuote(tick)) deliver({ event: "quote", symbol: tick.symbol, tick });
        const held = quotes.get(tick.symbol) as Tick;
        const minute = Math.floor(held.eventTime / MINUTE_US) * MINUTE_US;
        byMinute.set(minute, [...(byMinute.get(minute) ?? []), tick.symbol]);
      }
      for (const [minute, symbols] of byMinute) {
        const found = await source.recentBars(symbols, minute - MINUTE_US, minute + MINUTE_US);
        for (const [symbol, list] of found)
          for (const bar of list)
            if (holdBar(symbol, bar, "newer")) deliver({ event: "bar", symbol, bar });
      }
      stats.latency(METRIC.streamSnapshotMs).record(performance.now() - started);
    } catch (error) {
      stats.counter(METRIC.streamErrors).add();
      log.warn({ err: error }, "stream snapshot from Cassandra failed; sending what is held");
    }
    stats.counter(METRIC.streamSnapshots).add();
    if (!subscribers.has(subscriber)) return;
    subscriber.ready = true;
    for (const [symbol, tick] of quotes) {
      if (subscriber.symbols !== null && !subscriber.symbols.has(symbol)) continue;
      sendTo(subscriber, { event: "quote", symbol, tick });
      const held = [...(bars.get(symbol) ?? new Map<number, StoredBar>()).values()];
      for (const bar of held.sort((a, b) => a.start - b.start))
        sendTo(subscriber, { event: "bar", symbol, bar });
    }
  }

  function startFeed() {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (closed || feedState !== "stopped" || subscribers.size === 0) return;
    feedState = "starting";
    pending = feed.start().then(
      () => {
        if (failures > 0) log.info("stream feed from Kafka recovered");
        failures = 0;
        feedState = "running";
        for (const wake of whenRunning.splice(0)) wake();
        if (subscribers.size === 0) scheduleStop();
      },
      (error) => {
        feedState = "stopped";
        stats.counter(METRIC.streamErrors).add();
        if (failures === 0) log.warn({ err: error }, "stream feed from Kafka failed; retrying");
        failures += 1;
        const delay = Math.min(options.retryMaxMs ?? 10_000, 250 * 2 ** Math.min(failures, 8));
        retryTimer = setTimeout(startFeed, delay);
      },
    );
  }
  function scheduleStop() {
    if (closed) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (subscribers.size > 0 || feedState !== "running") return;
      feedState = "stopping";
      pending = feed.stop().finally(() => {
        feedState = "stopped";
        if (subscribers.size > 0) startFeed();
      });
    }, options.idleStopMs ?? 30_000);
  }

  return {
    subscribe(symbols, listener) {
      if (closed) {
        listener.end("shutdown");
        return () => {};
      }
      const subscriber: Subscriber = {
        symbols: symbols === null ? null : new Set(symbols),
        listener,
        ready: false,
      };
      subscribers.add(subscriber);
      startFeed();
      void snapshot(subscriber);
      return () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && feedState === "running") scheduleStop();
      };
    },
    publish(events) {
      for (const event of events) {
        const changed =
          event.event === "quote"
            ? holdQuote(event.tick)
            : holdBar(event.symbol, event.bar, "always");
        if (changed) deliver(event);
      }
    },
    clients: () => subscribers.size,
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      clearTimeout(retryTimer);
      for (const wake of whenRunning.splice(0)) wake();
      const ending = [...subscribers];
      subscribers.clear();
      for (const subscriber of ending) subscriber.listener.end("shutdown");
      await pending.catch(() => {});
      if (feedState === "running") await feed.stop();
      feedState = "stopped";
    },
  };
}

const barKey = (bar: StoredBar) =>
  `${bar.trades}|${bar.volume}|${bar.open}|${bar.high}|${bar.low}|${bar.close}|${bar.vwap}`;
