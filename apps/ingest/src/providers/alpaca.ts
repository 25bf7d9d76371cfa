import type { Logger } from "@repo/platform/log";
import { contentSequence, isRecord, microsFromIso, nanosFromIso, priceText } from "./fields.ts";
import { createHttpSource, type HttpSourceOptions } from "./http-source.ts";
import type { PollResult, Provider, SkipReason } from "./provider.ts";

/**
 * Whether a history or snapshot trade stands, by its `u` ("update"; Alpaca's stock trade schema
 * documents `canceled`, `incorrect` and `corrected`, changelog 2026-11-27 "stock_trade_update"): a
 * `canceled` trade and the `incorrect` original of a correction are cancelled (`true`); a
 * `corrected` replacement is a trade like any other. The stream says the same with `T:"x"` and
 * `T:"c"` messages, so stream, gap recovery and backfill converge on the same rows.
 *
 * @example
 *   isCancelledTrade({ i: 7, u: "incorrect" }); // true
 */
export function isCancelledTrade(trade: Record<string, unknown>): boolean {
  return trade.u === "canceled" || trade.u === "incorrect";
}

export interface AlpacaOptions extends Omit<HttpSourceOptions, "name" | "log"> {
  baseUrl: string;
  keyId: string;
  secretKey: string;
  symbols: string[];
  /** `iex` (free plan) or `sip`. */
  feed: string;
  log: Logger;
  nowMicros?: () => number;
}

/**
 * An Alpaca trade (stream `T:"t"`, history `trades[symbol][]`, snapshot `latestTrade`) as a TRADE
 * candidate; the trade id `i` is its sequence, so every path gives it the same identity. History
 * and snapshot trades marked cancelled by `u` ({@link isCancelledTrade}) are cancels.
 *
 * @example
 *   alpacaTrade("AAPL", { t: "2026-01-05T15:00:00.1Z", p: 187.2, s: 100, i: 7, x: "V" }, now);
 */
export function alpacaTrade(
  symbol: unknown,
  trade: Record<string, unknown>,
  ingestTime: number,
  cancelled = isCancelledTrade(trade),
) {
  return {
    source: "alpaca",
    symbol,
    kind: "TRADE",
    eventTime: microsFromIso(trade.t),
    sequence: trade.i,
    price: priceText(trade.p),
    size: trade.s,
    bid: null,
    ask: null,
    bidSize: null,
    askSize: null,
    exchange: typeof trade.x === "string" ? trade.x : null,
    ingestTime,
    cancelled,
  };
}

/**
 * Shares per round lot. Alpaca reports stock quote sizes in round lots: "bs int bid size in round
 * lots", "as int ask size in round lots" (Real-time Stock Data, docs.alpaca.markets/docs/
 * real-time-stock-pricing-data; the historical and latest quote endpoints use the same schema, and
 * Alpaca's staff confirm "the first ask size of 15 means 15 * 100 = 1500 shares" on their forum).
 * The Tick contract stores sizes in shares.
 */
export const ALPACA_ROUND_LOT = 100;

const shares = (lots: unknown) =>
  typeof lots === "number" && Number.isFinite(lots) ? lots * ALPACA_ROUND_LOT : lots;

/** A side Alpaca reports as price 0 (one-sided quotes, common on IEX) has no price: null. */
const sidePrice = (price: unknown) => (price === 0 ? null : priceText(price));

/**
 * An Alpaca quote (stream `T:"q"`, history `quotes[symbol][]`, snapshot `latestQuote`) as a QUOTE
 * candidate priced at the mid, sizes in shares (round lots × 100). A side quoted at price 0 (a
 * one-sided quote, common on IEX) is null with its size, and the quote is priced at the side
 * present; it is stored so and counted (`records.oneSidedQuotes`). Quotes carry no id: the
 * sequence is derived from the quote's content with its full nanosecond time, so a streamed quote
 * and the same quote from history share an identity.
 *
 * @example
 *   alpacaQuote("AMD", { t: "2021-02-22T15:51:45.335689322Z", bp: 87.66, bs: 1, ap: 87.68, as: 4 }, now);
 *   // bidSize 100, askSize 400
 */
export function alpacaQuote(symbol: unknown, quote: Record<string, unknown>, ingestTime: number) {
  const bid = sidePrice(quote.bp);
  const ask = sidePrice(quote.ap);
  return {
    source: "alpaca",
    symbol,
    kind: "QUOTE",
    eventTime: microsFromIso(quote.t),
    sequence: alpacaQuoteSequence(quote),
    price: bid === null ? ask : ask === null ? bid : midPrice(quote.bp, quote.ap),
    size: 0,
    bid,
    ask,
    bidSize: bid === null ? null : shares(quote.bs),
    askSize: ask === null ? null : shares(quote.as),
    exchange: typeof quote.bx === "string" ? quote.bx : null,
    ingestTime,
  };
}

/** The content-derived sequence of an Alpaca quote (time to the nanosecond, both sides, conditions, tape). */
export function alpacaQuoteSequence(quote: Record<string, unknown>): number {
  const conditions = Array.isArray(quote.c) ? quote.c.join(",") : "";
  const key = [
    nanosFromIso(quote.t) ?? String(quote.t),
    quote.bx,
    quote.bp,
    quote.bs,
    quote.ax,
    quote.ap,
    quote.as,
    conditions,
    quote.z,
  ].join("|");
  return contentSequence(key);
}

/** Counts a skipped record under its reason. */
export function skip(result: PollResult, reason: SkipReason): void {
  result.skipped ??= {};
  result.skipped[reason] = (result.skipped[reason] ?? 0) + 1;
}

/**
 * Turns an Alpaca market-data v2 multi-snapshot body (`GET /v2/stocks/snapshots`) into ticks:
 * `latestTrade` → TRADE (sequence = Alpaca's trade id), `latestQuote` → QUOTE priced at the mid.
 *
 * @example
 *   parseAlpacaSnapshots({ AAPL: { latestTrade: { t: "2026-01-05T15:00:00.1Z", p: 187.2, s: 100, i: 7, x: "V" } } }, now);
 */
export function parseAlpacaSnapshots(body: unknown, ingestTime: number): PollResult {
  const result: PollResult = { ticks: [], malformed: [] };
  if (!isRecord(body)) {
    result.malformed.push("alpaca snapshots body is not a JSON object");
    return result;
  }
  if (typeof body.malformed === "string") {
    result.malformed.push(body.malformed);
    return result;
  }
  for (const [symbol, snapshot] of Object.entries(body)) {
    if (!isRecord(snapshot)) {
      result.malformed.push(`alpaca snapshot for ${symbol} is not an object`);
      continue;
    }
    const { latestTrade: trade, latestQuote: quote } = snapshot;
    if (trade !== undefined && trade !== null) {
      if (!isRecord(trade))
        result.malformed.push(`alpaca latestTrade for ${symbol} is not an object`);
      else result.ticks.push(alpacaTrade(symbol, trade, ingestTime));
    }
    if (quote !== undefined && quote !== null) {
      if (!isRecord(quote))
        result.malformed.push(`alpaca latestQuote for ${symbol} is not an object`);
      else result.ticks.push(alpacaQuote(symbol, quote, ingestTime));
    }
  }
  return result;
}

/** Mid of bid and ask with 6 decimals; the raw bid when either side is not a number. */
export function midPrice(bid: unknown, ask: unknown): unknown {
  if (typeof bid !== "number" || typeof ask !== "number") return priceText(bid);
  return priceText(Math.round(((bid + ask) / 2) * 1e6) / 1e6);
}

/**
 * Alpaca market data (https://data.alpaca.markets): one snapshots request per poll for all symbols.
 * Keys go in `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` headers and are never logged.
 */
export function createAlpacaProvider(options: AlpacaOptions): Provider {
  const http = createHttpSource({ ...options, name: "alpaca" });
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  return {
    name: "alpaca",
    async poll(signal) {
      const url = new URL("/v2/stocks/snapshots", options.baseUrl);
      url.searchParams.set("symbols", options.symbols.join(","));
      url.searchParams.set("feed", options.feed);
      const body = await http.getJson(
        url.toString(),
        { "APCA-API-KEY-ID": options.keyId, "APCA-API-SECRET-KEY": options.secretKey },
        signal,
      );
      return parseAlpacaSnapshots(body, nowMicros());
    },
    health: http.health,
    close: http.close,
  };
}
