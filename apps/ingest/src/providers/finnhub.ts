import { createHash } from "node:crypto";
import { StreamError } from "../stream/errors.ts";
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
 * identical trades in the order the connection received them (across messages: Finnhub splits a
 * burst over several messages and never sends a trade twice). A trade reaches us only through the
 * stream (Finnhub's plans have no tick history) or a recorded replay, which keeps the sequence.
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

/** Identical-trade counts kept per connection; the oldest keys are forgotten beyond this. */
const OCCURRENCES_KEPT = 10_000;

/**
 * A Finnhub `{"type":"trade","data":[{"s","p","t","v","c"}]}` message as TRADE candidates
 * (event time from Unix milliseconds; Finnhub reports no venue). `seen` counts identical trades
 * already received on this connection (pass the same map for every message of a connection), so an
 * identical trade in a later message is a new trade with the next occurrence. Entries with volume 0
 * are price updates, not trades ("Some FX/crypto exchanges send price updates with volume = 0
 * instead of trades", Finnhub's websocket trades documentation): skipped and counted as `noVolume`.
 *
 * @example
 *   parseFinnhubTrades({ type: "trade", data: [{ s: "AAPL", p: 129.58, t: 1672348887666, v: 1, c: ["1"] }] }, now);
 */
export function parseFinnhubTrades(
  body: unknown,
  ingestTime: number,
  seen: Map<string, number> = new Map(),
): PollResult & { noVolume: number } {
  const result = { ticks: [] as unknown[], malformed: [] as string[], noVolume: 0 };
  if (!isRecord(body) || !Array.isArray(body.data)) {
    result.malformed.push("finnhub trade message has no data array");
    return result;
  }
  for (const trade of body.data) {
    if (!isRecord(trade)) {
      result.malformed.push("finnhub trade is not an object");
      continue;
    }
    if (trade.v === 0) {
      result.noVolume += 1;
      continue;
    }
    const key = finnhubKey(trade);
    const occurrence = seen.get(key) ?? 0;
    seen.delete(key);
    seen.set(key, occurrence + 1);
    if (seen.size > OCCURRENCES_KEPT) seen.delete(seen.keys().next().value as string);
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
 * A Finnhub key as it may be shown in logs and `/readyz`: the first 8 hex digits of its SHA-256
 * (the key is the secret itself).
 *
 * @example
 *   finnhubKeyLabel("c0ffee…"); // "sha256:1f2e3d4c"
 */
export function finnhubKeyLabel(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 8)}`;
}

/** Sessions in a row the server closes after opening, before any data, that mean "key in use". */
const DROP_LOOP = 3;

/**
 * The Finnhub trades websocket (`${streamUrl}?token=…`): one `{"type":"subscribe","symbol"}` per
 * symbol after the socket opens (Finnhub confirms nothing; a bad token fails the handshake), then
 * `trade` messages, and `ping` messages the server sends to idle connections. The token is only in
 * the URL the socket opens, never in `displayUrl`. "1 API key can only open 1 connection at a
 * time": a key in use elsewhere opens and is dropped again, so 3 sessions in a row closed before
 * any data are reported as a connection limit naming the key by its hash, with the long wait.
 *
 * @example
 *   const protocol = finnhubProtocol({ streamUrl: "wss://ws.finnhub.io", token, symbols: ["AAPL"] });
 */
export function finnhubProtocol(options: FinnhubStreamOptions): StreamProtocol {
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const base = options.streamUrl.replace(/\/$/, "");
  const seen = new Map<string, number>();
  return {
    url: () => `${base}?token=${encodeURIComponent(options.token)}`,
    displayUrl: base,
    earlyCloseError: (consecutive) =>
      consecutive >= DROP_LOOP
        ? new StreamError(
            "connection_limit",
            `finnhub: the server closed ${consecutive} connections in a row right after opening, before any data: key ${finnhubKeyLabel(options.token)} is probably in use by another connection (Finnhub allows 1 connection per API key)`,
          )
        : undefined,
    onOpen(session) {
      for (const symbol of options.symbols) session.send({ type: "subscribe", symbol });
      session.subscribed();
    },
    onMessage(text, session) {
      const message = JSON.parse(text) as unknown;
      const type = isRecord(message) ? message.type : undefined;
      if (type === "trade") {
        const { noVolume, ...result } = parseFinnhubTrades(message, nowMicros(), seen);
        for (let n = 0; n < noVolume; n += 1) session.ignored("no_volume");
        if (result.ticks.length > 0 || result.malformed.length > 0) session.ticks(result);
      } else if (type === "ping") session.ignored("ping");
      else if (type === "error" && isRecord(message))
        session.notice(`finnhub: ${String(message.msg ?? "error")}`);
      else session.ignored(`type=${String(type)}`);
    },
  };
}
