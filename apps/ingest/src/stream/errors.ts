import { PipelineError } from "@repo/platform/errors";

/**
 * Why a streaming session ended. Whether reconnecting can help is decided here, once, from the code
 * (never from a message): bad credentials or a plan that does not include the feed are final;
 * connection-limit and rate-limit refusals are retried after a long wait; the rest soon.
 */
export type StreamErrorCode =
  /** The server refused the credentials (Alpaca 402, a 401/403 handshake). */
  | "auth_failed"
  /** The plan does not include the feed (Alpaca 409). */
  | "insufficient_subscription"
  /** More symbols than the plan allows on a connection (Alpaca 405). */
  | "symbol_limit"
  /** The server cannot read what we sent (Alpaca 400, 410). */
  | "invalid_request"
  /** Another session holds the plan's connections (Alpaca 406). */
  | "connection_limit"
  /** Too many connection attempts or requests (HTTP 429 on the handshake). */
  | "rate_limited"
  /** The server dropped us for reading too slowly (Alpaca 407). */
  | "slow_client"
  /** No data for the stale interval while the market is open. */
  | "stale"
  /** Neither a frame nor a pong answered our ping. */
  | "no_pong"
  /** Not subscribed within the connect timeout. */
  | "connect_timeout"
  /** The connection closed or could not be opened. */
  | "closed"
  /** The server reported an error on its side, or an unexpected protocol step. */
  | "server_error";

const FINAL: ReadonlySet<StreamErrorCode> = new Set([
  "auth_failed",
  "insufficient_subscription",
  "symbol_limit",
  "invalid_request",
]);
const LIMITED: ReadonlySet<StreamErrorCode> = new Set(["connection_limit", "rate_limited"]);

/**
 * The end of a streaming session, with whether to reconnect (`retriable`) and whether the server
 * asked us to slow down (`limited`: wait long before the next attempt).
 *
 * @example
 *   throw new StreamError("connection_limit", "alpaca: connection limit exceeded (406)");
 */
export class StreamError extends PipelineError {
  override name = "StreamError";
  readonly code: StreamErrorCode;
  readonly limited: boolean;

  constructor(code: StreamErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: !FINAL.has(code), cause: options.cause });
    this.code = code;
    this.limited = LIMITED.has(code);
  }
}

/**
 * Classifies a failed WebSocket handshake. Bun reports the server's HTTP status only inside the
 * error text ("Expected 101 status code: 429"), so this edge reads it there, once.
 */
export function handshakeError(message: string): StreamError {
  const status = Number(/Expected 101 status code: (\d{3})/.exec(message)?.[1]);
  if (status === 429) return new StreamError("rate_limited", `handshake refused: HTTP 429`);
  if (status === 401 || status === 403)
    return new StreamError("auth_failed", `handshake refused: HTTP ${status} (check the key)`);
  if (status >= 500) return new StreamError("server_error", `handshake refused: HTTP ${status}`);
  return new StreamError("closed", `connection failed: ${message || "no detail"}`);
}
