import { StreamError, type StreamErrorCode } from "../stream/errors.ts";
import type { StreamProtocol } from "../stream/protocol.ts";
import { alpacaQuote, alpacaTrade } from "./alpaca.ts";
import { isRecord } from "./fields.ts";

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
  nowMicros?: () => number;
}

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

/** Message types we do not turn into ticks but count: bars, corrections, cancel errors, statuses, LULDs. */
const IGNORED: Record<string, string> = {
  b: "bars",
  d: "dailyBars",
  u: "updatedBars",
  c: "corrections",
  x: "cancelErrors",
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
 * Trade corrections and cancel errors are counted, not applied (the tick contract has no amendment).
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
      const ingestTime = nowMicros();
      for (const message of frame) {
        if (!isRecord(message)) {
          malformed.push("alpaca message is not an object");
          continue;
        }
        switch (message.T) {
          case "t":
            ticks.push(alpacaTrade(message.S, message, ingestTime));
            break;
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
      if (ticks.length > 0 || malformed.length > 0) session.ticks({ ticks, malformed });
    },
  };
}
