import { createHash, timingSafeEqual } from "node:crypto";
import { topics } from "@repo/contracts";

/** A client allowed to write: its name (logged, counted) and the SHA-256 of its token (never kept). */
export interface ProducerToken {
  name: string;
  digest: Buffer;
  /** The topics it may write; every client-writable topic when absent. */
  topics?: ReadonlySet<string>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 6750 `b64token` characters; at least 16 of them (a guessable token is no token). */
const TOKEN = /^[A-Za-z0-9\-._~+/]{16,512}=*$/;

const digestOf = (token: string) => createHash("sha256").update(token, "utf8").digest();

/**
 * Parses `name:token[:topic|topic…]` entries separated by commas or new lines (`#` starts a
 * comment in a file). Problems name the entry by position and name, never by its token.
 *
 * @example
 *   parseTokens("ingest:4f9c…e1:market.ticks, backfill:77ab…02").tokens.map((t) => t.name);
 *   // ["ingest", "backfill"]
 */
export function parseTokens(text: string): { tokens: ProducerToken[]; problems: string[] } {
  const tokens: ProducerToken[] = [];
  const problems: string[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*/, "").trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const parsed = parseEntry(entry, index, tokens);
    if (typeof parsed === "string") problems.push(parsed);
    else tokens.push(parsed);
  });
  return { tokens, problems };
}

/** One `name:token[:topics]` entry, or why it is refused (naming the entry, never the token). */
function parseEntry(
  entry: string,
  index: number,
  earlier: readonly ProducerToken[],
): ProducerToken | string {
  const [name = "", token = "", scope, ...rest] = entry.split(":").map((part) => part.trim());
  const label = `entry ${index + 1}${NAME.test(name) ? ` (${name})` : ""}`;
  if (!NAME.test(name)) return `${label}: the name must be 1-64 letters, digits, '_' or '-'`;
  if (rest.length > 0 || !token) return `${label}: expected name:token or name:token:topic|topic`;
  if (!TOKEN.test(token))
    return `${label}: the token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. \`openssl rand -hex 32\`)`;
  const digest = digestOf(token);
  if (earlier.some((other) => other.name === name)) return `${label}: the name is used twice`;
  if (earlier.some((other) => timingSafeEqual(other.digest, digest)))
    return `${label}: the token is also given to another name`;
  if (scope === undefined) return { name, digest };
  const names = scope
    .split("|")
    .map((topic) => topic.trim())
    .filter(Boolean);
  const refused = names.filter(
    (topic) => !topics.some((spec) => spec.name === topic && spec.clientWritable),
  );
  if (names.length === 0 || refused.length > 0)
    return `${label}: clients may only write ${writableTopics().join(", ")}; not ${refused.join(", ") || "an empty list"}`;
  return { name, digest, topics: new Set(names) };
}

/** The declared topics clients may write. */
export function writableTopics(): string[] {
  return topics.filter((topic) => topic.clientWritable).map((topic) => topic.name);
}

/**
 * The token `presented` belongs to, compared in constant time: every configured digest is compared
 * (equal-length SHA-256 digests, `timingSafeEqual`), whatever matches first.
 *
 * @example
 *   matchToken(tokens, bearer)?.name; // "ingest", or undefined for an unknown token
 */
export function matchToken(
  tokens: readonly ProducerToken[],
  presented: string,
): ProducerToken | undefined {
  const digest = digestOf(presented);
  let found: ProducerToken | undefined;
  for (const token of tokens) {
    const same = timingSafeEqual(token.digest, digest);
    found = same && !found ? token : found;
  }
  return found;
}
