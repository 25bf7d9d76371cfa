import { parseTimestamp } from "@repo/contracts";
import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import type { KafkaConsole, KafkaRecord } from "../kafka/console.ts";
import { decodeValue, textOrHex, type WriterTypes } from "../kafka/decode.ts";
import { createLagHistory } from "../kafka/lag-history.ts";
import type { SchemaCatalog } from "../schemas/registry-view.ts";
import type { StreamAdmission } from "../stream/admission.ts";
import { remoteAddress, type StreamLimits } from "./sse.ts";

export interface ConsoleDeps {
  log: Logger;
  kafka: KafkaConsole;
  catalog: SchemaCatalog;
  /** Writer schemas by id (the registry client's `typeOf`). */
  types: WriterTypes;
  /** The pipeline's physical topics: where redrive may write, and the dead-letter topic. */
  topics: { ticks: string; deadLetter: string };
  limits: { scanMax: number; timeoutMs: number; redriveMax: number };
  operatorTokens: readonly BearerToken[];
  /** Whether the api listens on a loopback address only (message contents need no token then). */
  loopbackOnly: boolean;
  /** The live tail shares `/v1/stream`'s slots and limits. */
  streams?: { admission: StreamAdmission; limits: StreamLimits };
  /** How often a live tail asks Kafka for new records. */
  tailPollMs?: number;
  /** How far in the future a redriven tick's times may lie (MAX_CLOCK_SKEW_MS, as the consumer). */
  maxFutureSkewMs?: number;
  now?: () => number;
}

/** What every console route shares: the clock, the lag history, error mapping and the token check. */
export type ConsoleContext = ReturnType<typeof consoleContext>;

/**
 * The console routes' shared helpers over `deps`.
 *
 * @example
 *   const ctx = consoleContext(deps);
 *   const topics = await ctx.guarded("topics", () => deps.kafka.topics());
 */
export function consoleContext(deps: ConsoleDeps) {
  const now = deps.now ?? Date.now;
  const lag = createLagHistory();
  /** Kafka and registry failures as 503s (details in the log), a missing topic as a 404. */
  const guarded = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const name = (error as Error).name;
      if (name === "UnknownTopicError")
        throw new ApiError(404, "unknown_topic", "no such topic", {
          issues: [{ path: "topic", in: "path", message: "no such topic" }],
        });
      const registry = /^Registry/.test(name);
      deps.log.warn(
        { err: error, read: what },
        registry ? "registry request failed" : "Kafka request failed",
      );
      throw new ApiError(
        503,
        registry ? "registry_unavailable" : "kafka_unavailable",
        registry
          ? "the schema registry is unavailable; retry later"
          : "Kafka is unavailable; retry later",
        {},
        { "Retry-After": "5" },
      );
    }
  };
  const operator = (c: Context, action: boolean) =>
    authorize(c, deps.operatorTokens, action || !deps.loopbackOnly);
  return { now, lag, guarded, operator };
}

/** A record as the console shows it, its value decoded through the registry or in hex. */
export async function messageJson(types: WriterTypes, record: KafkaRecord) {
  const key = textOrHex(record.key);
  const headers: Record<string, string> = {};
  for (const [name, value] of record.headers) {
    const shown = textOrHex(value);
    headers[name] = shown === null ? "" : "text" in shown ? shown.text : `0x${shown.hex}`;
  }
  return {
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: new Date(record.timestamp).toISOString(),
    key: key && "text" in key ? key.text : null,
    ...(key && "hex" in key ? { keyHex: key.hex } : {}),
    headers,
    value: await decodeValue(types, record.value),
  };
}

/**
 * The operator's name when the request may act: with API_OPERATOR_TOKENS, a bearer token of
 * theirs; without, any loopback client ("loopback"). `required` false lets anyone through.
 */
export function authorize(c: Context, tokens: readonly BearerToken[], required: boolean): string {
  const header = c.req.header("authorization");
  if (tokens.length > 0) {
    const found = bearerTokenOf(tokens, header);
    if (found) return found.name;
    if (!required) return "anonymous";
    throw new ApiError(
      401,
      header ? "invalid_operator_token" : "operator_token_required",
      header
        ? "the bearer token is not one of API_OPERATOR_TOKENS"
        : "this needs Authorization: Bearer <a token of API_OPERATOR_TOKENS>",
      {},
      { "WWW-Authenticate": "Bearer" },
    );
  }
  if (!required) return "anonymous";
  if (isLoopback(remoteAddress(c))) return "loopback";
  throw new ApiError(
    403,
    "loopback_only",
    "without API_OPERATOR_TOKENS only clients on this machine may do this",
  );
}

/**
 * Whether a peer address is on this machine (127.0.0.0/8, ::1, IPv4-mapped 127.x).
 *
 * @example
 *   isLoopback("::ffff:127.0.0.1"); // true
 */
export function isLoopback(address: string): boolean {
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

export function invalid(name: string, message: string, where = "query") {
  return new ApiError(400, "invalid_parameter", `${name}: ${message}`, {
    issues: [{ path: name, in: where, message }],
  });
}

export function micros(text: string): number {
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw new Error(`unvalidated time ${text}`);
  return parsed.micros;
}

export const round = (value: number) => Math.round(value * 1000) / 1000;
