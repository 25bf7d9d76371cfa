/**
 * The error answer every HTTP edge gives (`ApiError` from `@repo/platform/http` renders it), as a
 * zod schema with OpenAPI metadata (a subpath export, like `http-params`, because of
 * `@hono/zod-openapi`).
 */
import { z } from "@hono/zod-openapi";

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z
        .array(
          z.object({
            path: z.string(),
            /** Where the value was: `query`, `path` or `header`; absent for a JSON body's field. */
            in: z.string().optional(),
            message: z.string(),
            /** For `cursor`: malformed, forged, expired, out_of_range or other_query. */
            reason: z.string().optional(),
          }),
        )
        .optional(),
    }),
  })
  .openapi("Error");

/**
 * An error answer as an OpenAPI response documents it.
 *
 * @example
 *   responses: { 400: failure("A parameter is invalid; `error.issues` names each one") }
 */
export const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorResponse } },
});
