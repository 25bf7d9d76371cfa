import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PipelineError } from "../errors.ts";

/** One problem with a request, located by a JSON path such as `records[3].value.price`. */
export interface FieldIssue {
  path: string;
  message: string;
  index?: number;
}

/**
 * An error meant for the caller: rendered as `{"error":{"code","message",...details}}` with
 * `status` and `headers`. Part of the one error tree: retriable when the caller may get another
 * answer later (408, 429, 5xx), with `retryAfterMs` from a `Retry-After` header in seconds.
 *
 * @example
 *   throw new ApiError(404, "unknown_topic", `topic "${name}" is not declared`);
 */
export class ApiError extends PipelineError {
  override name = "ApiError";

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message, {
      retriable: status >= 500 || status === 408 || status === 429,
      retryAfterMs: retryAfterHeader(headers),
    });
  }
}

/** A `Retry-After` given in seconds, in ms; an HTTP date or nothing gives undefined. */
function retryAfterHeader(headers: Record<string, string>): number | undefined {
  const name = Object.keys(headers).find((key) => key.toLowerCase() === "retry-after");
  const value = name === undefined ? undefined : headers[name]?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) * 1000 : undefined;
}

/**
 * Renders `error` as the caller sees it: its headers, and `{"error":{"code","message",...details}}`
 * passed through {@link scrub}.
 *
 * @example
 *   app.onError((error, c) => errorResponse(c, new ApiError(500, "internal_error", "see the log")));
 */
export function errorResponse(c: Context, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(
    scrub({ error: { code: error.code, message: error.message, ...error.details } }) as object,
    error.status,
  );
}

/** Longest piece of caller input an error message repeats. */
export const MAX_ECHO_CHARS = 64;

/**
 * Caller input for an error message: quoted, at most {@link MAX_ECHO_CHARS} characters.
 *
 * @example
 *   throw new ApiError(404, "unknown_topic", `topic ${echo(name)} is not declared`);
 */
export function echo(value: string): string {
  const shown = value.length > MAX_ECHO_CHARS ? `${value.slice(0, MAX_ECHO_CHARS)}…` : value;
  return JSON.stringify(shown);
}

const QUOTED = /"((?:[^"\\]|\\.){64})(?:[^"\\]|\\.)+"/g;
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;

/**
 * The last line of defence for error bodies: quoted input cut to {@link MAX_ECHO_CHARS}, messages
 * cut to 512 characters and every other string (paths, topics, subjects) to
 * {@link MAX_ECHO_CHARS}, URLs and IP addresses replaced, so a message built from a driver's error
 * or a client's value cannot leak an internal host or repeat a whole request.
 */
function scrub(value: unknown, key = "", depth = 0): unknown {
  if (typeof value === "string") {
    const clean = value
      .replace(QUOTED, '"$1…"')
      .replace(URL_TEXT, "<url>")
      .replace(IPV4, "<address>");
    const limit = key === "message" ? 512 : MAX_ECHO_CHARS;
    return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
  }
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, key, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, scrub(item, name, depth + 1)]),
  );
}
