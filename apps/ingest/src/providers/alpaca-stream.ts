import { StreamError, type StreamErrorCode } from "../stream/errors.ts";
import type { StreamProtocol } from "../stream/protocol.ts";
import { alpacaQuote, alpacaTrade, skip } from "./alpaca.ts";
import { isRecord } from "./fields.ts";
import type { PollResult } from "./provider.ts";
import { createTradeIndex, type TradeIndex } from "./trade-index.ts";

export interface AlpacaStreamOptions {
  /** `wss://stream.data.alpaca.markets` (ALPACA_STREAM_URL). */
  streamUrl: string;
  /** `iex`, `sip`, `delayed_sip` or `test` (the 24/7 test stream, symbol FAKEPACA). */
  feed: string;
  keyId: string;
  secretKey: string;
  symbols: string[];
  /** The variable holding the plan's symbol limit, named when the server refuses a subscription (405). */
  planLimitVariable?: string;
  /**
   * Recent trades' event times, to give a cancel or correction its trade's identity; share one
   * across the provider's sessions so a cancel after a reconnect still resolves (default: a new
   * one, {@link DEFAULT_TRADE_INDEX}).
   */
  trades?: TradeIndex;
  nowMicros?: () => number;
}

/**
 * How long and how many trades per symbol a stream remembers for cancels and corrections: 30
 * minutes, at most 50,000 trades a symbol (≈ 4 MB a symbol at most). Most busts come within
 * seconds to minutes; one for an older trade is counted as unresolved (gap recovery and the
 * backfill read the bust from history's `u` instead).
 */
export const DEFAULT_TRADE_INDEX = { horizonMs: 30 * 60_000, maxPerSymbol: 50_000 };

/**
 * A key id as it may be shown in logs and `/readyz`: its first 4 and last 2 characters (the key id
 * is not the secret, but a log need not carry it whole).
 *
 * @example
 *   keyLabel("AKFAKEKEY123"); // "AKFA…23"
 */
export function keyLabel(keyId: string): string {
  return keyId.length <= 8 ? `${keyId.slice(0, 2)}…` : `${keyId.slice(0, 4)}…${keyId.slice(-2)}`;
}

/** Alpaca's documented stream error codes, and whether reconnecting can help. */
const ERRORS: Record<number, StreamErrorCode> = {
  400: "invalid_request", // invalid syntax
  401: "server_error", // not authenticated: subscribed before auth; a new session re-authenticates
  402: "auth_failed", // auth failed
  404: "connect_timeout", // auth timeout
  405: "symbol_limit", // symbol limit exceeded
  406: "connection_limit", // connection limit exceeded
  407: "slow_client", // slow client
  409: "insufficient_subscription", // insufficient subscription
  410: "invalid_request", // invalid subscribe action for this feed
  411: "insufficient_subscription", // insufficient scope: the key may not read this feed
  500: "server_error", // internal error
};

/** Message types we do not turn into ticks but count: bars, statuses, LULDs. */
const IGNORED: Record<string, string> = {
  b: "bars",
  d: "dailyBars",
  u: "updatedBars",
  s: "statuses",
  l: "lulds",
};

/**
 * The Alpaca market data stream v2 (`${streamUrl}/v2/${feed}`), as documented: the server greets
 * with `[{"T":"success","msg":"connected"}]`, we send `{"action":"auth","key","secret"}` (within
 * 10 s), then on `authenticated` `{"action":"subscribe","trades":[…],"quotes":[…]}`; the server's
 * `T:"subscription"` confirms. Frames are arrays: `T:"t"` trades (trade id `i` is the sequence),
 * `T:"q"` quotes, `T:"error"` with a code (402, 405, 409, 400, 410, 411 are final; 406 is retried
 * soon, then after long waits, naming the key).
 * Trade cancels/errors (`T:"x"`: trade `i` with its `p`, `s`, `x`; `a` "C" cancel or "E" error)
 * become a cancel of that trade; corrections (`T:"c"`: `oi`/`op`/`os` → `ci`/`cp`/`cs`) a cancel of
 * the original plus the corrected trade, with the original's event time (Real-time Stock Data,
 * "Trade Corrections" and "Trade Cancels/Errors"). Their `t` is the message's, so the trade's event
 * time comes from the recent-trade index; a bust of a trade it does not hold is counted
 * (`records.skipped.unresolved_cancel` / `unresolved_correction`) and logged, never guessed.
 *
 * @example
 *   const protocol = alpacaProtocol({ streamUrl, feed: "iex", keyId, secretKey, symbols: ["AAPL"] });
 */
export function alpacaProtocol(options: AlpacaStreamOptions): StreamProtocol {
  const url = `${options.streamUrl.replace(/\/$/, "")}/v2/${options.feed}`;
  const key = `key ${keyLabel(options.keyId)}`;
  /** What a user should know about a refusal, beyond Alpaca's message. */
  const explain = (code: number) => {
    if (code === 406)
      return `: another session holds the one connection ${key} may have on /v2/${options.feed} (a second ingest, another tool on the same key, or our previous session not yet closed)`;
    if (code === 405)
      return `: the plan allows fewer symbols than the ${options.symbols.length} subscribed; set ${options.planLimitVariable ?? "the plan's symbol limit"} to the plan's limit (the rest are polled over REST)`;
    if (code === 409 || code === 411)
      return `: ${key}'s plan does not include the ${options.feed} feed`;
    if (code === 402) return `: check ${key} and its secret`;
    return "";
  };
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const index = options.trades ?? createTradeIndex(DEFAULT_TRADE_INDEX);
  return {
    url: () => url,
    displayUrl: url,
    onOpen() {
      // The server speaks first ("connected"); authentication follows it.
    },
    onMessage(text, session) {
      const frame = JSON.parse(text) as unknown;
      if (!Array.isArray(frame)) {
        session.ticks({
          ticks: [],
          malformed: [`alpaca frame is not an array: ${text.slice(0, 80)}`],
        });
        return;
      }
      const ticks: unknown[] = [];
      const malformed: string[] = [];
      const result: PollResult = { ticks, malformed };
      const ingestTime = nowMicros();
      /** The event time of trade `id` of `symbol` from the recent-trade index, or undefined. */
      const known = (symbol: unknown, id: unknown) =>
        typeof symbol === "string" && typeof id === "number"
          ? index.eventTimeOf(symbol, id)
          : undefined;
      const unresolved = (what: "cancel" | "correction", message: Record<string, unknown>) => {
        skip(result, what === "cancel" ? "unresolved_cancel" : "unresolved_correction");
        session.notice(
          `alpaca ${what} of ${String(message.S)} trade ${String(what === "cancel" ? message.i : message.oi)} not applied: the trade is not among the recent trades this stream saw (older than ${DEFAULT_TRADE_INDEX.horizonMs / 60_000} minutes, or before this ingest started); gap recovery and backfills apply history's u marks`,
        );
      };
      for (const message of frame) {
        if (!isRecord(message)) {
          malformed.push("alpaca message is not an object");
          continue;
        }
        switch (message.T) {
          case "t": {
            const trade = alpacaTrade(message.S, message, ingestTime, false);
            const { symbol, sequence, eventTime } = trade;
            if (
              typeof symbol === "string" &&
              typeof sequence === "number" &&
              typeof eventTime === "number"
            )
              index.remember(symbol, sequence, eventTime);
            ticks.push(trade);
            break;
          }
          case "x": {
            const eventTime = known(message.S, message.i);
            if (eventTime === undefined) unresolved("cancel", message);
            else ticks.push({ ...alpacaTrade(message.S, message, ingestTime, true), eventTime });
            break;
          }
          case "c": {
            const eventTime = known(message.S, message.oi);
            if (eventTime === undefined) {
              unresolved("correction", message);
              break;
            }
            const { S: symbol, x } = message;
            const original = { i: message.oi, p: message.op, s: message.os, x };
            const corrected = { i: message.ci, p: message.cp, s: message.cs, x };
            ticks.push(
              { ...alpacaTrade(symbol, original, ingestTime, true), eventTime },
              { ...alpacaTrade(symbol, corrected, ingestTime, false), eventTime },
            );
            if (typeof symbol === "string" && typeof message.ci === "number")
              index.remember(symbol, message.ci, eventTime);
            break;
          }
          case "q":
            ticks.push(alpacaQuote(message.S, message, ingestTime));
            break;
          case "success":
            if (message.msg === "connected")
              session.send({ action: "auth", key: options.keyId, secret: options.secretKey });
            else if (message.msg === "authenticated") {
              session.authenticated();
              session.send({
                action: "subscribe",
                trades: options.symbols,
                quotes: options.symbols,
              });
            }
            break;
          case "subscription":
            session.subscribed();
            break;
          case "error": {
            const code = Number(message.code);
            if (code === 403) break; // already authenticated: harmless
            session.fail(
              new StreamError(
                ERRORS[code] ?? "server_error",
                `alpaca: ${String(message.msg ?? "error")} (${code})${explain(code)}`,
              ),
            );
            return;
          }
          default:
            session.ignored(IGNORED[String(message.T)] ?? `T=${String(message.T)}`);
        }
      }
      if (ticks.length > 0 || malformed.length > 0 || result.skipped) session.ticks(result);
    },
  };
}
