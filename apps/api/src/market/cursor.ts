import { createHash } from "node:crypto";

/** Where a ticks listing stopped: the day partition and Cassandra's paging state within it. */
export interface TicksCursor {
  /** Start of the UTC day (µs) to read next. */
  day: number;
  /** Cassandra paging state inside that day, or null to start the day from its beginning. */
  pageState: string | null;
}

/** A cursor that is malformed or belongs to a different query. */
export class CursorError extends Error {
  override name = "CursorError";
}

/** Ties a cursor to its query so it cannot be replayed against another symbol or range. */
export function queryKey(symbol: string, fromUs: number, toUs: number): string {
  return createHash("sha256")
    .update(`${symbol}|${fromUs}|${toUs}`)
    .digest("base64url")
    .slice(0, 12);
}

/**
 * Encodes a cursor as an opaque base64url token (clients must not parse it).
 *
 * @example
 *   const next = encodeCursor(queryKey("AAPL", from, to), { day, pageState: "0011ab" });
 *   decodeCursor(next, queryKey("AAPL", from, to)); // { day, pageState: "0011ab" }
 */
export function encodeCursor(key: string, cursor: TicksCursor): string {
  return Buffer.from(JSON.stringify({ k: key, d: cursor.day, p: cursor.pageState })).toString(
    "base64url",
  );
}

/** Reads a token made by {@link encodeCursor} for the same query; throws {@link CursorError}. */
export function decodeCursor(token: string, key: string): TicksCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new CursorError("is not a cursor this API returned");
  }
  const { k, d, p } = (parsed ?? {}) as { k?: unknown; d?: unknown; p?: unknown };
  const valid =
    typeof k === "string" &&
    Number.isSafeInteger(d) &&
    (p === null || (typeof p === "string" && /^[0-9a-f]*$/.test(p)));
  if (!valid) throw new CursorError("is not a cursor this API returned");
  if (k !== key) throw new CursorError("belongs to another symbol or time range");
  return { day: d as number, pageState: p as string | null };
}
