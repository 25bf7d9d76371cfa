import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Named bearer tokens from a variable such as `API_OPERATOR_TOKENS` or `PRODUCER_TOKENS`:
 * `name:token` entries separated by commas or new lines (`#` starts a comment), names of 1-64
 * `[A-Za-z0-9_-]`, tokens of at least 16 RFC 6750 characters, no name or token twice, and where the
 * variable allows it a third part, a `|`-separated scope (the producer's topics). Only a token's
 * SHA-256 is kept, and problems never repeat a token.
 */
export interface BearerToken {
  name: string;
  digest: Buffer;
  /** The entry's third part split on `|` (only where {@link TokenScope} allows one). */
  scope?: string[];
}

/** A third `:`-part a variable accepts after the token, and which values it takes. */
export interface TokenScope {
  /** How the third part reads in messages, e.g. `topic|topic`. */
  syntax: string;
  /** Why these values are refused (an empty list included), or undefined when they are fine. */
  check(values: string[]): string | undefined;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 6750 `b64token` characters; at least 16 of them (a guessable token is no token). */
const TOKEN = /^[A-Za-z0-9\-._~+/]{16,512}=*$/;

const digestOf = (token: string) => createHash("sha256").update(token, "utf8").digest();

/**
 * Parses `name:token` entries (`name:token:scope` when `scope` is given); each problem names its
 * entry by position and name.
 *
 * @example
 *   parseBearerTokens("alice:4f9c0d1e2a3b4c5d6e7f, ci:77ab0011223344556677").tokens.map((t) => t.name);
 *   // ["alice", "ci"]
 *   parseBearerTokens("ingest:4f9c0d1e2a3b4c5d6e7f:market.ticks", { scope }).tokens[0]?.scope;
 *   // ["market.ticks"]
 */
export function parseBearerTokens(
  text: string,
  options: { scope?: TokenScope } = {},
): { tokens: BearerToken[]; problems: string[] } {
  const tokens: BearerToken[] = [];
  const problems: string[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const parsed = parseEntry(entry, index, tokens, options.scope);
    if (typeof parsed === "string") problems.push(parsed);
    else tokens.push(parsed);
  });
  return { tokens, problems };
}

/** One entry, or why it is refused (naming the entry, never the token). */
function parseEntry(
  entry: string,
  index: number,
  earlier: readonly BearerToken[],
  scope: TokenScope | undefined,
): BearerToken | string {
  const parts = entry.split(":").map((part) => part.trim());
  const [name = "", token = ""] = parts;
  const label = `entry ${index + 1}${NAME.test(name) ? ` (${name})` : ""}`;
  if (!NAME.test(name)) return `${label}: the name must be 1-64 letters, digits, '_' or '-'`;
  if (parts.length > (scope ? 3 : 2) || !token)
    return `${label}: expected name:token${scope ? ` or name:token:${scope.syntax}` : ""}`;
  if (!TOKEN.test(token))
    return `${label}: the token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. \`openssl rand -hex 32\`)`;
  const digest = digestOf(token);
  if (earlier.some((other) => other.name === name)) return `${label}: the name is used twice`;
  if (earlier.some((other) => timingSafeEqual(other.digest, digest)))
    return `${label}: the token is also given to another name`;
  const third = parts[2];
  if (!scope || third === undefined) return { name, digest };
  const values = third
    .split("|")
    .map((value) => value.trim())
    .filter(Boolean);
  const refused = scope.check(values);
  return refused ? `${label}: ${refused}` : { name, digest, scope: values };
}

/**
 * The configured token `presented` is, compared in constant time: every digest is compared
 * (equal-length SHA-256 digests, `timingSafeEqual`), whatever matches first.
 *
 * @example
 *   matchBearerToken(tokens, "4f9c0d1e2a3b4c5d6e7f")?.name; // "alice", or undefined
 */
export function matchBearerToken<T extends BearerToken>(
  tokens: readonly T[],
  presented: string,
): T | undefined {
  const digest = digestOf(presented);
  let found: T | undefined;
  for (const token of tokens) {
    const same = timingSafeEqual(token.digest, digest);
    found = same && !found ? token : found;
  }
  return found;
}

/**
 * The token an `Authorization: Bearer …` header carries, matched in constant time against every
 * configured digest; undefined when the header is absent, malformed or names no configured token.
 *
 * @example
 *   bearerTokenOf(tokens, c.req.header("authorization"))?.name; // "alice"
 */
export function bearerTokenOf(
  tokens: readonly BearerToken[],
  authorization: string | undefined,
): BearerToken | undefined {
  const presented = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization ?? "")?.[1];
  if (!presented || tokens.length === 0) return undefined;
  return matchBearerToken(tokens, presented);
}
