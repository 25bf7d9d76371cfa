import { expect, test } from "bun:test";
import { CursorError, decodeCursor, encodeCursor, queryKey } from "./cursor.ts";

const key = queryKey("AAPL", 1_000, 2_000);

test("a cursor round-trips for the query that made it", () => {
  const token = encodeCursor(key, { day: 86_400_000_000, pageState: "00ab12" });
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodeCursor(token, key)).toEqual({ day: 86_400_000_000, pageState: "00ab12" });
});

test("a cursor of another symbol or range is refused", () => {
  const token = encodeCursor(key, { day: 0, pageState: null });
  expect(() => decodeCursor(token, queryKey("MSFT", 1_000, 2_000))).toThrow(CursorError);
  expect(() => decodeCursor(token, queryKey("AAPL", 1_000, 2_001))).toThrow(
    "belongs to another symbol or time range",
  );
});

test("a forged or damaged cursor is refused", () => {
  const forged = Buffer.from(JSON.stringify({ k: key, d: 1.5, p: "zz" })).toString("base64url");
  for (const token of ["nope", forged, Buffer.from("[]").toString("base64url")])
    expect(() => decodeCursor(token, key)).toThrow(CursorError);
});
