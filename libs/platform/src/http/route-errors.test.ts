import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { DataError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { ApiError } from "./errors.ts";
import { invalidParameter, invalidParameters, storeReads } from "./route-errors.ts";

const refusal = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error("expected a refusal");
  return result.error;
};

describe("route errors", () => {
  test("a refused query names each parameter, and the query as a whole for an unknown key", () => {
    const schema = z.object({ limit: z.coerce.number().max(10) }).strict();
    const error = invalidParameters(refusal(schema, { limit: "11", extra: "1" }), "query");
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_parameter");
    expect(error.details.issues).toEqual([
      { path: "limit", in: "query", message: expect.stringContaining("10") },
      { path: "", in: "query", message: expect.stringContaining("extra") },
    ]);
    expect(error.message).toStartWith("limit: ");
    expect(error.message).toContain("; (query): ");
  });

  test("a refused body is invalid_request with nested paths; a path parameter is `in: path`", () => {
    const body = z.object({ condition: z.object({ level: z.string() }) });
    const error = invalidParameters(refusal(body, { condition: { level: 1 } }), "json");
    expect(error.code).toBe("invalid_request");
    expect(error.details.issues).toEqual([
      { path: "condition.level", in: "json", message: expect.any(String) },
    ]);
    const param = invalidParameters(
      refusal(z.object({ id: z.string().max(2) }), { id: "abc" }),
      "param",
    );
    expect(param.details.issues).toEqual([{ path: "id", in: "path", message: expect.any(String) }]);
  });

  test("one invalid parameter has the same shape, with an optional reason", () => {
    const error = invalidParameter(
      "cursor",
      "is not a cursor this API returned",
      "query",
      "forged",
    );
    expect(error.message).toBe("cursor: is not a cursor this API returned");
    expect(error.details.issues).toEqual([
      {
        path: "cursor",
        in: "query",
        message: "is not a cursor this API returned",
        reason: "forged",
      },
    ]);
  });

  test("a transient store failure is a retriable 503; ApiErrors and final errors pass through", async () => {
    const read = storeReads({ log: createLogger("test", "silent"), store: "the test store" });
    expect(await read("ok", async () => 42)).toBe(42);
    const unavailable = await read("down", () => Promise.reject(new Error("ECONNREFUSED"))).catch(
      (error: unknown) => error,
    );
    expect(unavailable).toBeInstanceOf(ApiError);
    expect(unavailable).toMatchObject({
      status: 503,
      code: "store_unavailable",
      message: "the test store is unavailable; retry later",
      retriable: true,
      retryAfterMs: 5000,
    });
    const notFound = new ApiError(404, "unknown_rule", "no such rule");
    expect(await read("missing", () => Promise.reject(notFound)).catch((e: unknown) => e)).toBe(
      notFound,
    );
    const bad = new DataError("bad row", { code: "bad_row" });
    expect(await read("bad", () => Promise.reject(bad)).catch((e: unknown) => e)).toBe(bad);
  });
});
