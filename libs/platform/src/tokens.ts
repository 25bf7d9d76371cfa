import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Named bearer tokens from a variable such as `API_OPERATOR_TOKENS`, with the rules the producer's
 * `PRODUCER_TOKENS` follows: `name:token` entries separated by commas or new lines (`#` starts a
 * comment), names of 1-64 `[A-Za-z0-9_-]`, tokens of at least 16 RFC 6750 characters, no name or
 * token twice. Only a token's SHA-256 is kept, and problems never repeat a token.
 */
export interface BearerToken {
  name: string;
  digest: Buffer;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9\-._~+/]{16,512}=*$/;

const digestOf = (token: string) => createHash("sha256").update(token, "utf8").digest();

/**
 * Parses `name:token` entries; each problem names its entry by position and name.
 *
 * @example
 *   parseBearerTokens("alice:4f9c0d1e2a3b4c5d6e7f, ci:77ab0011223344556677").tokens.map((t) => t.name);
 *   // ["alice", "ci"]
 */
export function parseBearerTokens(text: string): { tokens: BearerToken[]; problems: string[] } {
  const tokens: BearerToken[] = [];
  const problems: string[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const [name = "", token = "", ...rest] = entry.split(":").map((part) => part.trim());
    const label = `entry ${index + 1}${NAME.test(name) ? ` (${name})` : ""}`;
    const digest = TOKEN.test(token) ? digestOf(token) : undefined;
    const problem = !NAME.test(name)
      ? "the name must be 1-64 letters, digits, '_' or '-'"
      : rest.length > 0 || !token
        ? "expected name:token"
        : !digest
          ? "the token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. `openssl rand -hex 32`)"
          : tokens.some((other) => other.name === name)
            ? "the name is used twice"
            : tokens.some((other) => timingSafeEqual(other.digest, digest))
              ? "the token is also given to another name"
              : undefined;
    if (problem || !digest) problems.push(`${label}: ${problem}`);
    else tokens.push({ name, digest });
  });
  return { tokens, problems };
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
  const digest = digestOf(presented);
  let found: BearerToken | undefined;
  for (const token of tokens) {
    const same = timingSafeEqual(token.digest, digest);
    found = same && !found ? token : found;
  }
  return found;
}
