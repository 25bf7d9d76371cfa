import type { PollResult } from "../providers/provider.ts";
import type { StreamError } from "./errors.ts";

/**
 * What a provider's protocol may do on its session: send frames, report progress of the handshake
 * (`authenticated`, `subscribed`), deliver candidate ticks, and end the session with a typed error.
 */
export interface StreamSession {
  send(message: unknown): void;
  /** The server accepted the credentials. */
  authenticated(): void;
  /** The server confirmed the subscription: data flows from now on (gap recovery starts here). */
  subscribed(): void;
  /** Candidate ticks from one data frame. */
  ticks(result: PollResult): void;
  /** A frame we read but do not turn into ticks (corrections, bars, heartbeats), counted by type. */
  ignored(type: string): void;
  /** Something the server told us that is worth a log line but does not end the session. */
  notice(message: string): void;
  fail(error: StreamError): void;
}

/**
 * One provider's wire protocol for one connection and its symbols: how to open, and what each
 * text frame means. It holds no timers or sockets; the connection does that.
 */
export interface StreamProtocol {
  /** The URL to open; may carry a token, so it is never logged. */
  url(): string;
  /** The URL as logged (no secrets). */
  readonly displayUrl: string;
  onOpen(session: StreamSession): void;
  onMessage(text: string, session: StreamSession): void;
  /**
   * The error to report when the server closed `consecutive` sessions in a row after opening them
   * and before any data (Finnhub drops a key that is in use elsewhere); undefined: an ordinary drop.
   */
  earlyCloseError?(consecutive: number): StreamError | undefined;
}
