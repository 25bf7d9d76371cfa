import { topics } from "@repo/contracts";
import { ApiError, echo } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { MiddlewareHandler } from "hono";
import { matchToken, type ProducerToken, writableTopics } from "../auth/tokens.ts";
import { METRIC, type Refusal } from "../stats.ts";

const CHALLENGE = 'Bearer realm="marketpipe-producer"';

/**
 * Authenticates and authorises `POST /v1/topics/:topic/records`:
 *
 * - with tokens configured, `Authorization: Bearer <token>` must carry one of them (401 otherwise;
 *   compared in constant time), and a token limited to topics may write only those (403);
 * - whoever writes, topics written only by the consumer (`clientWritable: false`: bars, dead
 *   letters) are 403;
 * - without tokens the service listens on loopback only (enforced by its configuration).
 *
 * The token's name is counted (`METRIC.requestsByToken`) and logged; the token itself never is.
 *
 * @example
 *   app.post("/v1/topics/:topic/records", authorizeWrites({ tokens, stats, log }), handler);
 */
export function authorizeWrites(options: {
  tokens: readonly ProducerToken[];
  stats: Stats;
  log: Logger;
}): MiddlewareHandler {
  const { tokens, stats, log } = options;
  const refuse = (reason: Refusal, token: string | undefined, topic: string, error: ApiError) => {
    stats.counter(METRIC.refused(reason)).add();
    log.warn({ tokenName: token ?? null, reason, topic: echo(topic) }, "write refused");
    return error;
  };
  return async (c, next) => {
    const topic = c.req.param("topic") ?? "";
    let name: string | undefined;
    if (tokens.length > 0) {
      const presented = /^Bearer[ ]+([^\s]+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (!presented)
        throw refuse(
          "missing_token",
          undefined,
          topic,
          new ApiError(
            401,
            "unauthenticated",
            "this producer requires Authorization: Bearer <token>",
            {},
            { "WWW-Authenticate": CHALLENGE },
          ),
        );
      const token = matchToken(tokens, presented);
      if (!token)
        throw refuse(
          "unknown_token",
          undefined,
          topic,
          new ApiError(
            401,
            "unauthenticated",
            "the bearer token is not valid",
            {},
            { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
          ),
        );
      name = token.name;
      if (token.topics && !token.topics.has(topic) && isWritable(topic))
        throw refuse(
          "topic_not_allowed",
          name,
          topic,
          new ApiError(403, "topic_not_allowed", `token "${name}" may not write ${echo(topic)}`, {
            allowed: [...token.topics],
          }),
        );
    }
    const spec = topics.find((candidate) => candidate.name === topic);
    if (spec && !spec.clientWritable)
      throw refuse(
        "topic_not_writable",
        name,
        topic,
        new ApiError(
          403,
          "topic_not_writable",
          `${echo(topic)} is written by the consumer only; clients may write ${writableTopics().join(", ")}`,
        ),
      );
    if (name) {
      stats.counter(METRIC.requestsByToken(name)).add();
      log.debug({ tokenName: name, topic }, "write authorised");
    }
    await next();
  };
}

const isWritable = (topic: string) =>
  topics.some((spec) => spec.name === topic && spec.clientWritable);
