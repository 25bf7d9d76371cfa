import { createHmac, timingSafeEqual } from "node:crypto";
import { DAY_US } from "@repo/cassandra";
import { PipelineError } from "@repo/platform/errors";

/** The query a ticks listing answers: what a cursor carries so `next` alone pages on. */
export interface TicksQuery {
  symbol: string;
  fromUs: number;
  toUs: number;
}

/** Where a ticks listing stopped: the day partition and Cassandra's paging state within it. */
export interface TicksPosition {
  /** Start of the UTC day (µs) to read next. */
  day: number;
  /** Cassandra paging state inside that day, or null to start the day from its beginning. */
  pageState: string | null;
}

/** A decoded cursor: the query it belongs to and where to go on. */
export interface TicksCursor extends TicksQuery, TicksPosition {}

/**
 * Why a cursor is refused; `message` completes "cursor …" for the 400 naming it. Final: the same
 * cursor is refused again.
 */
export class CursorError extends PipelineError {
  override name = "CursorError";
  constructor(
    readonly reason: "malformed" | "forged" | "expired" | "out_of_range" | "other_query",
    message: string,
  ) {
    super(message, { retriable: false });
  }
}

const MAC_BYTES = 32;

/**
 * Signs and checks `/v1/ticks` cursors: the query and position as JSON, an expiry, and an
 * HMAC-SHA256 over them with `key`, as one base64url token. A cursor is only what this process (or
 * one sharing `API_CURSOR_KEY`) handed out, unaltered, unexpired, and inside its own range.
 *
 * @example
 *   const cursors = createCursorCodec({ key, ttlMs: 3_600_000 });
 *   const next = cursors.encode({ symbol: "AAPL", fromUs, toUs, day, pageState: "0011ab" });
 *   cursors.decode(next); // { symbol: "AAPL", fromUs, toUs, day, pageState: "0011ab" }
 */
export function createCursorCodec(options: { key: Buffer; ttlMs: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const mac = (body: Buffer) => createHmac("sha256", options.key).update(body).digest();
  return {
    encode(cursor: TicksCursor, expiresAtMs = now() + options.ttlMs): string {
      const { symbol, fromUs, toUs, day, pageState } = cursor;
      const body = Buffer.from(
        JSON.stringify({ s: symbol, f: fromUs, t: toUs, d: day, p: pageState, e: expiresAtMs }),
      );
      return Buffer.concat([body, mac(body)]).toString("base64url");
    },

    /** Reads a token made by `encode`; throws {@link CursorError} saying why it is refused. */
    decode(token: string): TicksCursor {
      const bytes = Buffer.from(token, "base64url");
      if (bytes.length <= MAC_BYTES || bytes.toString("base64url") !== token)
        throw new CursorError("malformed", "is not a cursor this API returned");
      const body = bytes.subarray(0, bytes.length - MAC_BYTES);
      if (!timingSafeEqual(bytes.subarray(bytes.length - MAC_BYTES), mac(body)))
        throw new CursorError(
          "forged",
          "has an invalid signature (altered, forged, or from an api with another API_CURSOR_KEY)",
        );
      const { s, f, t, d, p, e } = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      const valid =
        typeof s === "string" &&
        [f, t, d, e].every(Number.isSafeInteger) &&
        (p === null || (typeof p === "string" && /^[0-9a-f]*$/.test(p)));
      if (!valid) throw new CursorError("malformed", "is not a cursor this API returned");
      const cursor = {
        symbol: s,
        fromUs: f as number,
        toUs: t as number,
        day: d as number,
        pageState: p as string | null,
      };
      if ((e as number) <= now())
        throw new CursorError("expired", "has expired; start again without a cursor");
      const firstDay = Math.floor(cursor.fromUs / DAY_US) * DAY_US;
      if (cursor.day % DAY_US !== 0 || cursor.day < firstDay || cursor.day >= cursor.toUs)
        throw new CursorError("out_of_range", "points outside its query's time range");
      return cursor;
    },
  };
}

export type CursorCodec = ReturnType<typeof createCursorCodec>;
