import { isRetriable } from "../errors.ts";
import type { Logger } from "../log.ts";
import { formatPath } from "./body.ts";
import { ApiError } from "./errors.ts";

/** What a zod refusal carries that the 400 repeats (any zod version's `ZodError` fits). */
export interface ParameterRefusal {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

/**
 * A 400 `invalid_parameter` naming one parameter, in the shape of {@link invalidParameters}.
 *
 * @example
 *   if (start >= end) throw invalidParameter("from", "must be before `to`");
 */
export function invalidParameter(name: string, message: string, where = "query", reason?: string) {
  return new ApiError(400, "invalid_parameter", `${name}: ${message}`, {
    issues: [{ path: name, in: where, message, ...(reason ? { reason } : {}) }],
  });
}

/**
 * A zod refusal of a request part as a 400 naming each field: `invalid_request` for a JSON body,
 * `invalid_parameter` for path (`param`) and query parameters. A refusal of the part as a whole
 * (an unknown key) is named `(body)` or `(query)`.
 *
 * @example
 *   new OpenAPIHono({ defaultHook: (r) => { if (!r.success) throw invalidParameters(r.error, r.target); } });
 */
export function invalidParameters(error: ParameterRefusal, target: string) {
  const where = target === "param" ? "path" : target;
  const issues = error.issues.map((issue) => ({
    path: formatPath(issue.path),
    in: where,
    message: issue.message,
  }));
  const whole = `(${target === "json" ? "body" : where})`;
  return new ApiError(
    400,
    target === "json" ? "invalid_request" : "invalid_parameter",
    issues.map((i) => `${i.path || whole}: ${i.message}`).join("; "),
    { issues },
  );
}

/**
 * Wraps a route's store calls: a transient failure (Cassandra down, a timeout; see `isRetriable`)
 * is logged and answered 503 `store_unavailable` with `Retry-After: 5`; an {@link ApiError} or a
 * final error passes through.
 *
 * @example
 *   const read = storeReads({ log, store: "the analytics store" });
 *   const rows = await read("indicators", () => store.indicators(symbol, interval, names, from, to));
 */
export function storeReads(options: { log: Logger; store: string }) {
  return async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof ApiError || !isRetriable(error)) throw error;
      options.log.warn({ err: error, read: what }, "store request failed; answered 503");
      throw new ApiError(
        503,
        "store_unavailable",
        `${options.store} is unavailable; retry later`,
        {},
        { "Retry-After": "5" },
      );
    }
  };
}
