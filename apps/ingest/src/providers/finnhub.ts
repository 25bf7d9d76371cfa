import type { StreamProtocol } from "../stream/protocol.ts";
import { contentSequence, isRecord, priceText } from "./fields.ts";
import type { PollResult } from "./provider.ts";

export interface FinnhubStreamOptions {
  /** `wss://ws.finnhub.io` (FINNHUB_STREAM_URL). */
  streamUrl: string;
  token: string;
  symbols: string[];
  nowMicros?: () => number;
}

/**
 * The sequence of a Finnhub trade, which carries no id: derived from everything Finnhub reports
 * about it (symbol, millisecond time, price, volume, conditions), with `occurrence` numbering
 * identical trades within one message, so a replayed message or a backfilled copy of the same trade
 * gets the same identity. Two identical trades split across messages cannot be told apart.
 *
 * @example
 *   finnhubSequence({ s: "AAPL", t: 1672348887666, p: 129.58, v: 1, c: ["1", "24", "12"] }); // stable
 */
export function finnhubSequence(trade: Record<string, unknown>, occurrence = 0): number {
  return contentSequence(finnhubKey(trade), occurrence);
}

function finnhubKey(trade: Record<string, unknown>): string {
  const conditions = Array.isArray(trade.c) ? trade.c.join(",") : "";
  return [trade.s, trade.t, trade.p, trade.v, conditions].join("|");
}

/**
 * A Finnhub `{"type":"trade","data":[{"s","p","t","v","c"}]}` message as TRADE candidates
 * (event time from Unix milliseconds; Finnhub reports no venue).
 *
 * @example
 *   parseFinnhubTrades({ type: "trade", data: [{ s: "AAPL", p: 129.58, t: 1672348887666, v: 1, c: ["1"] }] }, now);
 */
export function parseFinnhubTrades(body: unknown, ingestTime: number): PollResult {
  const result: PollResult = { ticks: [], malformed: [] };
  if (!isRecord(body) || !Array.isArray(body.data)) {
    result.malformed.push("finnhub trade message has no data array");
    return result;
  }
  const seen = new Map<string, number>();
  for (const trade of body.data) {
    if (!isRecord(trade)) {
      result.malformed.push("finnhub trade is not an object");
      continue;
    }
    const key = finnhubKey(trade);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    result.ticks.push({
      source: "finnhub",
      symbol: trade.s,
      kind: "TRADE",
      eventTime: typeof trade.t === "number" ? trade.t * 1000 : trade.t,
      sequence: contentSequence(key, occurrence),
      price: priceText(trade.p),
      size: trade.v,
      bid: null,
      ask: null,
      bidSize: null,
      askSize: null,
      exchange: null,
      ingestTime,
    });
  }
  return result;
}

/**
 * The Finnhub trades websocket (`${streamUrl}?token=…`): one `{"type":"subscribe","symbol"}` per
 * symbol after the socket opens (Finnhub confirms nothing; a bad token fails the handshake), then
 * `trade` messages, and `ping` messages the server sends to idle connections. The token is only in
 * the URL the socket opens, never in `displayUrl`.
 *
 * @example
 *   const protocol = finnhubProtocol({ streamUrl: "wss://ws.finnhub.io", token, symbols: ["AAPL"] });
 */
export function finnhubProtocol(options: FinnhubStreamOptions): StreamProtocol {
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const base = options.streamUrl.replace(/\/$/, "");
  return {
    url: () => `${base}?token=${encodeURIComponent(options.token)}`,
    displayUrl: base,
    onOpen(session) {
      for (const symbol of options.symbols) session.send({ type: "subscribe", symbol });
      session.subscribed();
    },
    onMessage(text, session) {
      const message = JSON.parse(text) as unknown;
      const type = isRecord(message) ? message.type : undefined;
      if (type === "trade") session.ticks(parseFinnhubTrades(message, nowMicros()));
      else if (type === "ping") session.ignored("ping");
      else if (type === "error" && isRecord(message))
        session.notice(`finnhub: ${String(message.msg ?? "error")}`);
      else session.ignored(`type=${String(type)}`);
    },
  };
}
