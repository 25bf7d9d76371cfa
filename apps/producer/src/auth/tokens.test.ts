import { describe, expect, test } from "bun:test";
import { topics } from "@repo/contracts";
import { matchToken, parseTokens, writableTopics } from "./tokens.ts";

const ingest = "ingest-3f9c1d2e8a7b6c5d4e3f2a1b";
const backfill = "backfill-0a1b2c3d4e5f60718293";

describe("producer tokens", () => {
  test("name:token[:topics] entries, comma or line separated, with comments", () => {
    const { tokens, problems } = parseTokens(
      `# who may write\ningest:${ingest}:market.ticks\n\nbackfill:${backfill} # everything writable`,
    );
    expect(problems).toEqual([]);
    expect(tokens.map((t) => [t.name, t.topics && [...t.topics]])).toEqual([
      ["ingest", ["market.ticks"]],
      ["backfill", undefined],
    ]);
    expect(JSON.stringify(tokens)).not.toContain(ingest);
  });

  test("a presented token is matched by digest; an unknown or truncated one is not", () => {
    const { tokens } = parseTokens(`ingest:${ingest},backfill:${backfill}`);
    expect(matchToken(tokens, backfill)?.name).toBe("backfill");
    expect(matchToken(tokens, ingest)?.name).toBe("ingest");
    expect(matchToken(tokens, ingest.slice(0, -1))).toBeUndefined();
    expect(matchToken(tokens, "")).toBeUndefined();
  });

  test("bad entries are named by position and name, never by their token", () => {
    const weak = "short";
    const { problems } = parseTokens(
      `ingest:${weak}, bad name:${ingest}, dup:${backfill}, dup:${backfill}x, other:${backfill}, bars:${ingest}z:market.bars.1m`,
    );
    expect(problems).toEqual([
      expect.stringContaining("entry 1 (ingest): the token must be at least 16 characters"),
      expect.stringContaining("entry 2: the name must be"),
      expect.stringContaining("entry 4 (dup): the name is used twice"),
      expect.stringContaining("entry 5 (other): the token is also given to another name"),
      expect.stringContaining(
        "entry 6 (bars): clients may only write market.ticks; not market.bars.1m",
      ),
    ]);
    expect(problems.join("\n")).not.toContain(backfill);
    expect(problems.join("\n")).not.toContain(ingest);
  });

  test("only ticks are client-writable; bars and dead letters are the consumer's, indicators analytics'", () => {
    expect(writableTopics()).toEqual(["market.ticks"]);
    expect(topics.filter((t) => !t.clientWritable).map((t) => t.name)).toEqual([
      "market.bars.1m",
      "market.ticks.dlq",
      "market.indicators",
    ]);
  });
});
