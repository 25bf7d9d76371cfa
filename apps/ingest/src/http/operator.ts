import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { isLoopbackHost } from "@repo/platform/security";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";

const CHALLENGE = 'Bearer realm="marketpipe-ingest"';

/** What the check reads of a Hono context: a header, and the Node request under `@hono/node-server` (also under Bun). */
export interface OperatorRequest {
  req: { header(name: string): string | undefined; path: string };
  env: unknown;
}

/** The caller's TCP peer address (`X-Forwarded-For` is not trusted); "unknown" outside a server. */
function remoteAddress(c: OperatorRequest): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
const bare = (address: string) => address.replace(/^::ffff:/i, "");

/**
 * Guards ingest's operator actions (run, pause, resume, backfills) with the rules of the producer's
 * writes: with INGEST_OPERATOR_TOKENS, `Authorization: Bearer <token>` must carry one of them (401
 * otherwise, compared in constant time); without tokens only loopback clients are served (403).
 * Returns the operator's name (`loopback` without tokens), which the action logs and stores.
 *
 * @example
 *   const operator = createOperatorCheck({ tokens, log });
 *   app.post("/providers/:name/pause", async (c) => pause(c.req.param("name"), operator(c)));
 */
export function createOperatorCheck(options: { tokens: readonly BearerToken[]; log: Logger }) {
  const { tokens, log } = options;
  return (c: OperatorRequest): string => {
    if (tokens.length > 0) {
      const token = bearerTokenOf(tokens, c.req.header("authorization"));
      if (!token) {
        log.warn(
          { path: c.req.path, presented: c.req.header("authorization") !== undefined },
          "operator action refused",
        );
        throw new ApiError(
          401,
          "unauthenticated",
          "operator actions require Authorization: Bearer <token> from INGEST_OPERATOR_TOKENS",
          {},
          { "WWW-Authenticate": CHALLENGE },
        );
      }
      return token.name;
    }
    const address = bare(remoteAddress(c));
    if (address !== "unknown" && !isLoopbackHost(address))
      throw new ApiError(
        403,
        "operator_loopback_only",
        "without INGEST_OPERATOR_TOKENS, operator actions are served to loopback clients only",
      );
    return "loopback";
  };
}
