import { topics } from "@repo/contracts";
import { type BearerToken, matchBearerToken, parseBearerTokens } from "@repo/platform/tokens";

/** A client allowed to write: its name (logged, counted) and the SHA-256 of its token (never kept). */
export interface ProducerToken {
  name: string;
  digest: Buffer;
  /** The topics it may write; every client-writable topic when absent. */
  topics?: ReadonlySet<string>;
}

/** The third part of a `PRODUCER_TOKENS` entry: the client-writable topics the token may write. */
const topicScope = {
  syntax: "topic|topic",
  check(names: string[]) {
    const refused = names.filter(
      (topic) => !topics.some((spec) => spec.name === topic && spec.clientWritable),
    );
    if (names.length === 0 || refused.length > 0)
      return `clients may only write ${writableTopics().join(", ")}; not ${refused.join(", ") || "an empty list"}`;
    return undefined;
  },
};

/**
 * Parses `name:token[:topic|topic…]` entries separated by commas or new lines (`#` starts a
 * comment in a file), with `@repo/platform/tokens`' rules for names and tokens. Problems name the
 * entry by position and name, never by its token.
 *
 * @example
 *   parseTokens("ingest:4f9c…e1:market.ticks, backfill:77ab…02").tokens.map((t) => t.name);
 *   // ["ingest", "backfill"]
 */
export function parseTokens(text: string): { tokens: ProducerToken[]; problems: string[] } {
  const { tokens, problems } = parseBearerTokens(text, { scope: topicScope });
  return {
    tokens: tokens.map(({ name, digest, scope }: BearerToken) =>
      scope ? { name, digest, topics: new Set(scope) } : { name, digest },
    ),
    problems,
  };
}

/** The declared topics clients may write. */
export function writableTopics(): string[] {
  return topics.filter((topic) => topic.clientWritable).map((topic) => topic.name);
}

/**
 * The token `presented` belongs to, compared in constant time (see `matchBearerToken`).
 *
 * @example
 *   matchToken(tokens, bearer)?.name; // "ingest", or undefined for an unknown token
 */
export function matchToken(
  tokens: readonly ProducerToken[],
  presented: string,
): ProducerToken | undefined {
  return matchBearerToken(tokens, presented);
}
