/**
 * Query parameters every HTTP edge validates the same way, as zod schemas with OpenAPI metadata
 * (a subpath export, like `alert-rules`, because of `@hono/zod-openapi`).
 */
import { z } from "@hono/zod-openapi";
import { parseTimestamp } from "./timestamp.ts";

/**
 * An optional ISO-8601 time query parameter (the JSON-edge rules of `parseTimestamp`), refused
 * with the parser's reason; at most 40 characters.
 *
 * @example
 *   const query = z.object({ from: timeParam("from", "Inclusive start (bar start)") });
 */
export const timeParam = (name: string, meaning: string) =>
  z
    .string()
    .max(40, "must be an ISO-8601 time such as 2026-01-05T14:30:00Z")
    .superRefine((text, ctx) => {
      const parsed = parseTimestamp(text);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
    })
    .optional()
    .openapi({
      param: { name, in: "query" },
      description: meaning,
      example: "2026-01-05T14:30:00Z",
      format: "date-time",
    });
