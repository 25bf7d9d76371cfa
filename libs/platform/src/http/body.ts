import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";
import { ApiError, type FieldIssue } from "./errors.ts";

/** The body limit of a service whose configuration does not set `MAX_BODY_BYTES`: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Refuses a request whose body exceeds `maxBytes` with 413 `body_too_large` (`limitBytes` in the
 * error), before a route reads it. `createServiceApp` applies it to every route with the service's
 * `MAX_BODY_BYTES`; a route that takes less adds its own.
 *
 * @example
 *   app.use("/v1/alerts/rules", limitBody(16 * 1024));
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(
        413,
        "body_too_large",
        `request body exceeds ${maxBytes} bytes`,
        { limitBytes: maxBytes },
        // The unread rest of the body makes the connection unusable for a next request.
        { Connection: "close" },
      );
    },
  });
}

/**
 * Reads a JSON body and validates it with zod. Malformed JSON → 400 `malformed_json`; a shape error →
 * 400 `invalid_request` naming each field and reason.
 */
export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  const text = await c.req.text();
  if (text.trim() === "")
    throw new ApiError(400, "empty_body", "request body is empty; expected JSON");
  try {
    body = JSON.parse(text);
  } catch (error) {
    // Parsers quote the offending input in their messages; say where, not what.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ApiError(
      400,
      "malformed_json",
      `request body is not valid JSON${position ? ` (at character ${position})` : ""}`,
    );
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.message,
    }));
    throw new ApiError(400, "invalid_request", describeIssues(issues), { issues });
  }
  return result.data;
}

/** `["records", 3, "value", "price"]` → `records[3].value.price`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}

export function describeIssues(issues: FieldIssue[]): string {
  const first = issues.slice(0, 3).map((i) => `${i.path || "(body)"}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return `${first.join("; ")}${more}`;
}
