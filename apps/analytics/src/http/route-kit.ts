import { parseTimestamp } from "@repo/contracts";
import { failure } from "@repo/contracts/http-errors";
import { ApiError, invalidParameter, storeReads } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import { DAY_US, INTERVALS } from "../series/rollup.ts";

/** Longest span one indicators or alerts query reads. */
export const MAX_SPAN_DAYS = 7;

/** The failures every route may answer. */
export const errors = {
  400: failure("A parameter or the body is invalid; `error.issues` names each one"),
  503: failure("Cassandra is unreachable (`store_unavailable`)"),
};
/** What an operator action may answer besides {@link errors}. */
export const operatorErrors = {
  401: failure("No or an unknown operator token (`unauthenticated`)"),
};

/** What every resource's routes share: the request helpers, built once per app. */
export interface RouteKit {
  /** µs now. */
  now: () => number;
  /** Runs a store call; its transient failure is a 503 `store_unavailable` the client may retry. */
  read: <T>(what: string, task: () => Promise<T>) => Promise<T>;
  /** The caller's operator name (`loopback` without tokens), or undefined. */
  operator: (c: Context) => string | undefined;
  /** The caller's operator name, or a 401. */
  requireOperator: (c: Context) => string;
  /** [start, end) µs of a validated `from`/`to`, defaulted and bounded by `span`. */
  range: (
    from: string | undefined,
    to: string | undefined,
    span?: { defaultDays: number; maxDays: number },
  ) => { start: number; end: number };
}

const micros = (text: string) => (parseTimestamp(text) as { micros: number }).micros;

/**
 * The request helpers of the analytics routes.
 *
 * @example
 *   const kit = createRouteKit({ log, operatorTokens });
 *   const { start, end } = kit.range(from, to);
 */
export function createRouteKit(deps: {
  log: Logger;
  operatorTokens: readonly BearerToken[];
  now?: () => number;
}): RouteKit {
  const now = deps.now ?? (() => Date.now() * 1000);
  const operator = (c: Context) => {
    if (deps.operatorTokens.length === 0) return "loopback";
    return bearerTokenOf(deps.operatorTokens, c.req.header("authorization"))?.name;
  };
  return {
    now,
    operator,
    read: storeReads({ log: deps.log, store: "the analytics store" }),
    requireOperator(c) {
      const name = operator(c);
      if (!name)
        throw new ApiError(
          401,
          "unauthenticated",
          "alert rules need Authorization: Bearer <operator token> (API_OPERATOR_TOKENS)",
          {},
          { "WWW-Authenticate": 'Bearer realm="marketpipe-analytics"' },
        );
      return name;
    },
    range(from, to, span = { defaultDays: 1, maxDays: MAX_SPAN_DAYS }) {
      const end = to ? micros(to) : now() + INTERVALS["1m"];
      const start = from ? micros(from) : end - span.defaultDays * DAY_US;
      if (start >= end) throw invalidParameter("from", "must be before `to`");
      if (end - start > span.maxDays * DAY_US)
        throw invalidParameter("to", `must be at most ${span.maxDays} days after \`from\``);
      return { start, end };
    },
  };
}
