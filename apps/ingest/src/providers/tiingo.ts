import type { Logger } from "@repo/platform/log";
import { isRecord, microsFromIso, priceText } from "./fields.ts";
import { createHttpSource, type HttpSourceOptions } from "./http-source.ts";
import type { PollResult, Provider } from "./provider.ts";

export interface TiingoOptions extends Omit<HttpSourceOptions, "name" | "log"> {
  baseUrl: string;
  token: string;
  symbols: string[];
  log: Logger;
  nowMicros?: () => number;
}

/**
 * Tiingo reports no sequence numbers: one poll yields at most one last sale and one top of book per
 * symbol. The sequence is derived from the kind, so a trade and a quote stamped with the same
 * microsecond keep distinct identities, and a re-polled leg keeps its identity.
 */
export const TIINGO_SEQUENCE = { TRADE: 0, QUOTE: 1 } as const;

/**
 * Turns a Tiingo IEX top-of-book body (`GET /iex/?tickers=aapl,msft`, an array) into ticks:
 * last sale → TRADE, top of book → QUOTE priced at Tiingo's `mid`, sequences from
 * `TIINGO_SEQUENCE`. A leg whose fields Tiingo reports as null (outside trading hours) is
 * skipped, not malformed. Tickers map back to the requested `symbols` (`brk-b` → `BRK.B`).
 *
 * @example
 *   parseTiingoTops([{ ticker: "AAPL", lastSaleTimestamp: "2026-01-05T10:00:00-05:00", last: 187.2, lastSize: 100 }], now);
 */
export function parseTiingoTops(
  body: unknown,
  ingestTime: number,
  symbols: readonly string[] = [],
): PollResult {
  const ours = new Map(symbols.map((symbol) => [tiingoTicker(symbol), symbol]));
  const result: PollResult = { ticks: [], malformed: [] };
  if (isRecord(body) && typeof body.malformed === "string") {
    result.malformed.push(body.malformed);
    return result;
  }
  if (!Array.isArray(body)) {
    result.malformed.push("tiingo iex body is not a JSON array");
    return result;
  }
  for (const [index, top] of body.entries()) {
    if (!isRecord(top) || typeof top.ticker !== "string") {
      result.malformed.push(`tiingo iex entry ${index} has no ticker`);
      continue;
    }
    const symbol = ours.get(top.ticker.toLowerCase()) ?? top.ticker.toUpperCase();
    if (top.last !== null && top.lastSize !== null && top.last !== undefined) {
      const eventTime = microsFromIso(top.lastSaleTimestamp);
      result.ticks.push({
        source: "tiingo",
        symbol,
        kind: "TRADE",
        eventTime,
        sequence: TIINGO_SEQUENCE.TRADE,
        price: priceText(top.last),
        size: top.lastSize,
        bid: null,
        ask: null,
        bidSize: null,
        askSize: null,
        exchange: "IEXG",
        ingestTime,
      });
    }
    if (top.bidPrice !== null && top.askPrice !== null && top.bidPrice !== undefined) {
      result.ticks.push({
        source: "tiingo",
        symbol,
        kind: "QUOTE",
        eventTime: microsFromIso(top.quoteTimestamp),
        sequence: TIINGO_SEQUENCE.QUOTE,
        price: priceText(top.mid ?? top.bidPrice),
        size: 0,
        bid: priceText(top.bidPrice),
        ask: priceText(top.askPrice),
        bidSize: top.bidSize ?? null,
        askSize: top.askSize ?? null,
        exchange: "IEXG",
        ingestTime,
      });
    }
  }
  return result;
}

/**
 * A symbol as Tiingo spells it: lower case, share classes with a dash (`BRK.B` → `brk-b`).
 *
 * @example
 *   tiingoTicker("BRK.B"); // "brk-b"
 */
export function tiingoTicker(symbol: string): string {
  return symbol.toLowerCase().replaceAll(".", "-");
}

/**
 * Tiingo IEX (https://api.tiingo.com): one request per poll for all symbols; the token goes in
 * the `Authorization: Token …` header and is never logged.
 */
export function createTiingoProvider(options: TiingoOptions): Provider {
  const http = createHttpSource({ ...options, name: "tiingo" });
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  return {
    name: "tiingo",
    async poll(signal) {
      const url = new URL("/iex/", options.baseUrl);
      url.searchParams.set("tickers", options.symbols.map(tiingoTicker).join(","));
      const body = await http.getJson(
        url.toString(),
        { Authorization: `Token ${options.token}` },
        signal,
      );
      return parseTiingoTops(body, nowMicros(), options.symbols);
    },
    health: http.health,
    close: http.close,
  };
}
