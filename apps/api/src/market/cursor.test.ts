import { expect, test } from "bun:test";
import { isRetriable, PipelineError } from "@repo/platform/errors";
import { CursorError, createCursorCodec } from "./cursor.ts";

const DAY_US = 86_400_000_000;
const key = Buffer.from("k".repeat(32));
let clock = 1_000_000;
const cursors = createCursorCodec({ key, ttlMs: 60_000, now: () => clock });
const query = { symbol: "AAPL", fromUs: 3 * DAY_US + 5, toUs: 5 * DAY_US + 7 };
const reason = (token: string) => {
  try {
    cursors.decode(token);
  } catch (error) {
    if (error instanceof CursorError) return error.reason;
    throw error;
  }
  return "accepted";
};

test("a cursor round-trips with its query and position", () => {
  const cursor = { ...query, day: 4 * DAY_US, pageState: "00ab12" };
  const token = cursors.encode(cursor);
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(cursors.decode(token)).toEqual(cursor);
});

test("a cursor with one byte changed is refused as forged", () => {
  const token = cursors.encode({ ...query, day: 4 * DAY_US, pageState: null });
  const bytes = Buffer.from(token, "base64url");
  for (const at of [2, bytes.length - 1]) {
    const altered = Buffer.from(bytes);
    altered[at] = (altered[at] as number) ^ 1;
    expect(reason(altered.toString("base64url"))).toBe("forged");
  }
});

test("a cursor signed with another key, or not signed at all, is refused", () => {
  const other = createCursorCodec({ key: Buffer.from("o".repeat(32)), ttlMs: 60_000 });
  expect(reason(other.encode({ ...query, day: 4 * DAY_US, pageState: null }))).toBe("forged");
  const unsigned = Buffer.from(
    JSON.stringify({ s: "AAPL", f: query.fromUs, t: query.toUs, d: 0, p: null, e: 9e15 }),
  ).toString("base64url");
  expect(reason(unsigned)).toBe("forged");
  for (const token of ["nope", "", "a".repeat(10)]) expect(reason(token)).toBe("malformed");
});

test("a cursor past its expiry is refused as expired", () => {
  const token = cursors.encode({ ...query, day: 4 * DAY_US, pageState: null });
  clock += 59_999;
  expect(reason(token)).toBe("accepted");
  clock += 1;
  expect(reason(token)).toBe("expired");
});

test("a signed cursor whose day lies outside its range is refused", () => {
  for (const day of [2 * DAY_US, 6 * DAY_US, 4 * DAY_US + 1])
    expect(reason(cursors.encode({ ...query, day, pageState: null }))).toBe("out_of_range");
  expect(reason(cursors.encode({ ...query, day: 3 * DAY_US, pageState: null }))).toBe("accepted");
  expect(reason(cursors.encode({ ...query, day: 5 * DAY_US, pageState: null }))).toBe("accepted");
});

test("a refused cursor is a final error of the tree: the same cursor is refused again", () => {
  const refused = (() => {
    try {
      return cursors.decode("not-a-cursor");
    } catch (error) {
      return error;
    }
  })();
  expect(refused).toBeInstanceOf(PipelineError);
  expect(refused).toBeInstanceOf(CursorError);
  expect(isRetriable(refused)).toBe(false);
});
