import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, type FieldIssue } from "./errors.ts";

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
