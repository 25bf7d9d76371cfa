import { expect, test } from "bun:test";
import { bearerTokenOf, parseBearerTokens } from "./tokens.ts";

const ALICE = "alice-token-0123456789";
const CI = "ci-token-abcdefghijklmnop";

test("name:token entries by comma or line, with comments, match their bearer", () => {
  const { tokens, problems } = parseBearerTokens(`alice:${ALICE} # ops\nci:${CI}`);
  expect(problems).toEqual([]);
  expect(bearerTokenOf(tokens, `Bearer ${ALICE}`)?.name).toBe("alice");
  expect(bearerTokenOf(tokens, `bearer   ${CI}`)?.name).toBe("ci");
  for (const header of [undefined, "", `Basic ${ALICE}`, `Bearer ${ALICE}x`, "Bearer"])
    expect(bearerTokenOf(tokens, header)).toBeUndefined();
});

test("problems name the entry, never the token", () => {
  const { tokens, problems } = parseBearerTokens(
    `alice:short, bad name:${CI}, alice:${ALICE}, alice:${CI}, bob:${ALICE}, carol`,
  );
  expect(tokens.map((t) => t.name)).toEqual(["alice"]);
  expect(problems).toEqual([
    "entry 1 (alice): the token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. `openssl rand -hex 32`)",
    "entry 2: the name must be 1-64 letters, digits, '_' or '-'",
    "entry 4 (alice): the name is used twice",
    "entry 5 (bob): the token is also given to another name",
    "entry 6 (carol): expected name:token",
  ]);
  for (const problem of problems) expect(problem).not.toContain(ALICE);
});

test("without tokens nobody matches", () => {
  expect(bearerTokenOf([], `Bearer ${ALICE}`)).toBeUndefined();
});

test("a variable that takes a scope accepts name:token:a|b and refuses what its check refuses", () => {
  const scope = {
    syntax: "topic|topic",
    check: (values: string[]) =>
      values.length > 0 && values.every((v) => v.startsWith("market."))
        ? undefined
        : `not ${values.join(", ") || "an empty list"}`,
  };
  const { tokens, problems } = parseBearerTokens(
    `alice:${ALICE}:market.ticks|market.quotes, ci:${CI}, bob:bob-token-0123456789abc:other, carol:carol-token-0123456789:`,
    { scope },
  );
  expect(tokens.map((t) => [t.name, t.scope])).toEqual([
    ["alice", ["market.ticks", "market.quotes"]],
    ["ci", undefined],
  ]);
  expect(problems).toEqual(["entry 3 (bob): not other", "entry 4 (carol): not an empty list"]);
  expect(parseBearerTokens(`alice:${ALICE}:market.ticks`).problems).toEqual([
    "entry 1 (alice): expected name:token",
  ]);
});
