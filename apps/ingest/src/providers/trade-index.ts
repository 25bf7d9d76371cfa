/**
 * Recent trades' event times by trade id, per symbol, so a stream cancel or correction can be given
 * the original trade's identity. Alpaca's `T:"x"` and `T:"c"` messages name the trade by id (`i`,
 * `oi`) and carry their own timestamp (`t`, documented only as "RFC-3339 formatted timestamp"; the
 * trade's time is not among their fields), while our identity is (source, symbol, event time,
 * sequence): the event time must come from the trade as we saw it.
 *
 * Bounded: per symbol, trades older than `horizonMs` before the newest one seen, and beyond
 * `maxPerSymbol` trades, are forgotten (oldest first). A cancel of a forgotten trade is unresolved:
 * counted and logged by the caller, never guessed.
 */
export interface TradeIndex {
  /** Remembers a trade seen on the stream (event time in µs). */
  remember(symbol: string, id: number, eventTime: number): void;
  /** The event time (µs) of a remembered trade, or undefined. */
  eventTimeOf(symbol: string, id: number): number | undefined;
  /** Trades remembered, all symbols. */
  readonly size: number;
}

export interface TradeIndexOptions {
  /** How far behind a symbol's newest trade a trade is still remembered (ms). */
  horizonMs: number;
  /** Trades remembered per symbol at most. */
  maxPerSymbol: number;
}

/**
 * A {@link TradeIndex} in memory: one insertion-ordered Map per symbol, so forgetting the oldest is
 * O(1) per trade.
 *
 * @example
 *   const index = createTradeIndex({ horizonMs: 30 * 60_000, maxPerSymbol: 50_000 });
 *   index.remember("AAPL", 465, eventTimeUs);
 *   index.eventTimeOf("AAPL", 465); // eventTimeUs
 */
export function createTradeIndex(options: TradeIndexOptions): TradeIndex {
  const bySymbol = new Map<string, { trades: Map<number, number>; newest: number }>();
  let size = 0;
  return {
    remember(symbol, id, eventTime) {
      let entry = bySymbol.get(symbol);
      if (!entry) {
        entry = { trades: new Map(), newest: eventTime };
        bySymbol.set(symbol, entry);
      }
      const { trades } = entry;
      if (!trades.has(id)) size += 1;
      trades.set(id, eventTime);
      if (eventTime > entry.newest) entry.newest = eventTime;
      const oldest = entry.newest - options.horizonMs * 1000;
      for (const [held, at] of trades) {
        if (trades.size <= options.maxPerSymbol && at >= oldest) break;
        trades.delete(held);
        size -= 1;
      }
    },
    eventTimeOf: (symbol, id) => bySymbol.get(symbol)?.trades.get(id),
    get size() {
      return size;
    },
  };
}
