import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@repo/platform/config";
import { loadProducerConfig } from "./config.ts";

const token = "0123456789abcdef0123456789abcdef";

function refusal(env: Record<string, string>): string {
  try {
    loadProducerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("accepted");
}

describe("producer configuration", () => {
  test("no tokens on loopback: `bun run dev` needs nothing", () => {
    expect(loadProducerConfig({}).tokens).toEqual([]);
  });

  test("a non-loopback HOST without tokens is refused, naming PRODUCER_TOKENS", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.5"])
      expect(refusal({ HOST: host })).toContain(
        `PRODUCER_TOKENS (unset): required when HOST (${host}) is not a loopback address`,
      );
    expect(
      loadProducerConfig({ HOST: "0.0.0.0", PRODUCER_TOKENS: `ingest:${token}` }).tokens,
    ).toHaveLength(1);
  });

  test("tokens come from a file too; the raw variables are not kept in the configuration", () => {
    const file = join(tmpdir(), `producer-tokens-${process.pid}`);
    writeFileSync(file, `# mounted secret\ningest:${token}:market.ticks\n`);
    const config = loadProducerConfig({ PRODUCER_TOKENS_FILE: file });
    expect(config.tokens.map((t) => t.name)).toEqual(["ingest"]);
    expect(JSON.stringify(config)).not.toContain(token);
    expect(Object.keys(config)).not.toContain("PRODUCER_TOKENS_FILE");
    expect(refusal({ PRODUCER_TOKENS_FILE: file, PRODUCER_TOKENS: `a:${token}` })).toContain(
      "not both",
    );
    expect(refusal({ PRODUCER_TOKENS_FILE: "/no/such/tokens" })).toContain("cannot be read");
  });

  test("an invalid entry fails start-up without printing any token", () => {
    const message = refusal({ PRODUCER_TOKENS: `ingest:${token}:market.ticks.dlq` });
    expect(message).toContain(
      "PRODUCER_TOKENS (<redacted>): entry 1 (ingest): clients may only write",
    );
    expect(message).not.toContain(token);
  });
});
