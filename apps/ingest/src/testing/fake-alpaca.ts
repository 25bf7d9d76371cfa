import {
  createFakeAlpacaRest,
  type FakeAlpacaRestOptions,
  type QuoteRecord,
  type TradeRecord,
} from "./fake-alpaca-rest.ts";
import {
  createFakeAlpacaStream,
  type FakeBehaviour,
  type FakeStreamSession,
} from "./fake-alpaca-stream.ts";

export type { QuoteRecord, TradeRecord } from "./fake-alpaca-rest.ts";
export type { FakeBehaviour } from "./fake-alpaca-stream.ts";

/**
 * A local stand-in for Alpaca market data on 127.0.0.1, speaking the documented protocols and
 * enforcing the documented limits:
 *
 * - the stream v2 (`/v2/{feed}`, `v2/test` included) as in "WebSocket Stream"
 *   (docs.alpaca.markets/docs/streaming-market-data): connected → auth → subscribe → subscription,
 *   arrays of `T:"t"` trades and `T:"q"` quotes of the subscribed symbols only, `T:"error"` codes.
 *   "The number of connections to a single endpoint from a user is limited … in most subscriptions
 *   this limit is 1": a second authenticated session on a key gets `406 connection limit exceeded`
 *   and is closed; a subscription beyond the plan's symbol limit (Basic: 30 for trades and quotes)
 *   gets `405 symbol limit exceeded` and leaves the subscriptions as they were;
 * - quotes as in "Real-time Stock Data" (docs.alpaca.markets/docs/real-time-stock-pricing-data):
 *   `bs`/`as` in round lots, and one-sided quotes (`ap: 0, as: 0`) as IEX sends them;
 * - the paged history (`GET /v2/stocks/{trades|quotes}` with `symbols`, `start`, `end`, `limit`,
 *   `page_token`) and the latest snapshots (`GET /v2/stocks/snapshots?symbols=…`), keys in
 *   `APCA-API-*` headers, under a per-key request budget answered as Alpaca's rate limits page
 *   documents (docs.alpaca.markets/docs/rate-limits): every response carries
 *   `X-RateLimit-Limit`/`-Remaining`/`-Reset` (Unix seconds), a spent budget gets 429 without
 *   `Retry-After`;
 * - with `recentSipLimitMs`, SIP history newer than that is refused with 403 "subscription does
 *   not permit querying recent SIP data" (the Basic plan).
 *
 * - trade cancels/errors and corrections as in "Real-time Stock Data" ("Trade Cancels/Errors":
 *   `T:"x"` with the trade's `i`, `x`, `p`, `s`, `a` "C"/"E", `z` and the message's own `t`;
 *   "Trade Corrections": `T:"c"` with `oi`/`op`/`os`/`oc` → `ci`/`cp`/`cs`/`cc`, `x`, `z`, `t`), sent
 *   on the trades subscription, and in history the stock trade schema's `u` (`canceled`,
 *   `incorrect`, `corrected`: changelog 2026-11-27 "stock_trade_update"): a cancelled trade is marked
 *   `canceled`, a corrected one `incorrect`, and its replacement (a new trade id, at the original's
 *   time, an assumption: the documents do not say which time history gives it) `corrected`.
 *
 * Every trade and quote it emits is kept as history, whether or not a client was there to receive it.
 */

export interface FakeAlpacaOptions extends FakeAlpacaRestOptions {
  keyId?: string;
  secretKey?: string;
  /** Symbols a key may subscribe for trades and quotes (Basic: 30). */
  symbolLimit?: number;
  /** Sessions per key and endpoint (most plans: 1). */
  connectionLimit?: number;
}

/**
 * Starts the fake; `streamUrl` and `dataUrl` go into ALPACA_STREAM_URL and ALPACA_DATA_URL.
 *
 * @example
 *   const alpaca = startFakeAlpaca({ maxPage: 25 });
 *   alpaca.trades("AAPL", 10); // streamed to subscribed clients and kept as history
 *   alpaca.dropClients();      // an abrupt disconnect
 */
export function startFakeAlpaca(options: FakeAlpacaOptions = {}) {
  const keyId = options.keyId ?? "AKFAKEKEY";
  const secretKey = options.secretKey ?? "fake-secret";
  const trades = new Map<string, TradeRecord[]>();
  const quotes = new Map<string, QuoteRecord[]>();
  let behaviour: FakeBehaviour = "normal";
  const stream = createFakeAlpacaStream({
    keyId,
    secretKey,
    symbolLimit: options.symbolLimit ?? 30,
    connectionLimit: options.connectionLimit ?? 1,
    behaviour: () => behaviour,
  });
  const { clients, broadcast } = stream;
  const rest = createFakeAlpacaRest(options, { keyId, secretKey, trades, quotes });
  let nextTradeId = 1;
  let counter = 0;

  /** RFC 3339 with nanoseconds, unique per record (the counter fills the sub-millisecond digits). */
  const stamp = (at?: number) => {
    counter += 1;
    const ms = at ?? Date.now();
    const iso = new Date(ms).toISOString().slice(0, 19);
    const nanos = `${String(ms % 1000).padStart(3, "0")}${String(counter % 1_000_000).padStart(6, "0")}`;
    return `${iso}.${nanos}Z`;
  };

  const server = Bun.serve<FakeStreamSession>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/v2/stocks/")) return rest.answer(url, request.headers);
      if (/^\/v2\/[a-z_]+$/.test(url.pathname)) {
        const data = { authenticated: false, subscribed: false, symbols: new Set<string>() };
        if (srv.upgrade(request, { data })) return;
      }
      return new Response("not found", { status: 404 });
    },
    websocket: stream.websocket,
  });

  return {
    streamUrl: `ws://127.0.0.1:${server.port}`,
    dataUrl: `http://127.0.0.1:${server.port}`,
    keyId,
    secretKey,
    /** Emits `count` trades of a symbol in one frame (stamped `atMs`, default now); returns their trade ids. */
    trades(symbol: string, count = 1, atMs?: number): number[] {
      const list = trades.get(symbol) ?? [];
      trades.set(symbol, list);
      const frame: unknown[] = [];
      const ids: number[] = [];
      for (let n = 0; n < count; n += 1) {
        const i = nextTradeId++;
        const record = {
          t: stamp(atMs === undefined ? undefined : atMs + n),
          x: "V",
          p: 100 + (i % 50) / 100,
          s: 1 + (i % 9),
          c: ["@"],
          i,
          z: "C",
        };
        list.push(record);
        frame.push({ T: "t", S: symbol, ...record });
        ids.push(i);
      }
      broadcast(symbol, frame);
      return ids;
    },
    /**
     * Busts a trade, as a correction or cancel does: `canceled` marks it in history and streams
     * `T:"x"` (action "C"); `corrected` marks it `incorrect`, adds its replacement (a new trade id,
     * `price`) marked `corrected`, and streams `T:"c"`. Returns the replacement's id.
     */
    bust(
      symbol: string,
      id: number,
      how: "canceled" | "corrected",
      price = 99.5,
    ): number | undefined {
      const list = trades.get(symbol) ?? [];
      const original = list.find((record) => record.i === id);
      if (!original) return undefined;
      if (how === "canceled") {
        original.u = "canceled";
        const { x, p, s, z } = original;
        broadcast(symbol, [{ T: "x", S: symbol, i: id, x, p, s, a: "C", z, t: stamp() }]);
        return undefined;
      }
      original.u = "incorrect";
      const replacement = { ...original, i: nextTradeId++, p: price, u: "corrected" as const };
      list.splice(list.indexOf(original) + 1, 0, replacement);
      broadcast(symbol, [
        {
          T: "c",
          S: symbol,
          x: original.x,
          oi: id,
          op: original.p,
          os: original.s,
          oc: original.c,
          ci: replacement.i,
          cp: replacement.p,
          cs: replacement.s,
          cc: replacement.c,
          z: original.z,
          t: stamp(),
        },
      ]);
      return replacement.i;
    },
    /** Emits `count` quotes of a symbol in one frame (stamped `atMs`, default now); sizes in round lots. */
    quotes(symbol: string, count = 1, atMs?: number): void {
      const list = quotes.get(symbol) ?? [];
      quotes.set(symbol, list);
      const frame: unknown[] = [];
      for (let n = 0; n < count; n += 1) {
        const bid = 100 + (counter % 50) / 100;
        const record = {
          t: stamp(atMs === undefined ? undefined : atMs + n),
          bx: "V",
          bp: bid,
          bs: 1 + (counter % 5),
          ax: "V",
          ap: Math.round((bid + 0.02) * 100) / 100,
          as: 2,
          c: ["R"],
          z: "C",
        };
        list.push(record);
        frame.push({ T: "q", S: symbol, ...record });
      }
      broadcast(symbol, frame);
    },
    /** Emits a one-sided quote (no ask: `ap: 0, as: 0`, as IEX sends them) with `bidLots` at the bid. */
    oneSidedQuote(symbol: string, bidLots = 3): void {
      const list = quotes.get(symbol) ?? [];
      quotes.set(symbol, list);
      const record = {
        t: stamp(),
        bx: "V",
        bp: 100 + (counter % 50) / 100,
        bs: bidLots,
        ax: "V",
        ap: 0,
        as: 0,
        c: ["R"],
        z: "C",
      };
      list.push(record);
      broadcast(symbol, [{ T: "q", S: symbol, ...record }]);
    },
    /** The quotes kept for a symbol, as sent (sizes in round lots). */
    /** A symbol's trades as history serves them (with `u` once busted), in history order. */
    tradeRecords(symbol: string): readonly TradeRecord[] {
      return trades.get(symbol) ?? [];
    },
    quoteRecords(symbol: string): readonly QuoteRecord[] {
      return quotes.get(symbol) ?? [];
    },
    /** Sends raw messages as one frame to every subscribed client (corrections, odd frames). */
    send(messages: unknown[]) {
      for (const ws of clients) ws.send(JSON.stringify(messages));
    },
    /** Answers the next `requests` history requests, then 500 to every one (undefined: heal). */
    failHistoryAfter: rest.failHistoryAfter,
    /** Drops every client without a close frame, as a network failure would. */
    dropClients() {
      for (const ws of clients) ws.terminate();
      clients.clear();
    },
    set behaviour(next: FakeBehaviour) {
      behaviour = next;
    },
    get behaviour() {
      return behaviour;
    },
    /** WebSocket connections opened so far. */
    get connections() {
      return stream.connections;
    },
    /** Clients subscribed right now. */
    get subscribedClients() {
      return clients.size;
    },
    /** Every message clients sent (auth, subscribe, …), in order. */
    received: stream.received,
    historyRequests: rest.historyRequests,
    snapshotRequests: rest.snapshotRequests,
    /** Every `T:"error"` the stream sent (406, 405, …), in order. */
    refusals: stream.refusals,
    /** REST requests answered 429 so far. */
    get throttled() {
      return rest.rate.throttled;
    },
    /** The `X-RateLimit-Reset` (Unix seconds) of each 429, in order. */
    throttleResets: rest.rate.resets,
    /** Symbols each subscribed client holds. */
    subscriptions(): string[][] {
      return [...clients].map((ws) => [...ws.data.symbols].sort());
    },
    tradeIds(symbol: string): number[] {
      return (trades.get(symbol) ?? []).map((t) => t.i);
    },
    quoteCount(symbol: string): number {
      return (quotes.get(symbol) ?? []).length;
    },
    stop: () => server.stop(true),
  };
}

export type FakeAlpaca = ReturnType<typeof startFakeAlpaca>;
