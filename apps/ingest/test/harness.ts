/**
 * The shared setup of ingest's real-stack tests: a pipeline with the Alpaca stand-in, the backfill
 * command run as an operator runs it, and what reached Cassandra.
 */
import { resolve } from "node:path";
import { type Pipeline, runCommand, startPipeline } from "@repo/testkit";
import { type FakeAlpaca, startFakeAlpaca } from "../src/testing/fake-alpaca.ts";

export interface AlpacaPipeline extends Pipeline {
  /** The Alpaca stand-in (history pages of 40), stopped by `close()`. */
  fake: FakeAlpaca;
}

/**
 * testkit's {@link startPipeline} (producer and consumer on their own topics and keyspace) with a
 * local stand-in for Alpaca beside it for the ingest a test starts.
 *
 * @example
 *   const run = await startAlpacaPipeline("ingest_runs");
 *   afterAll(() => run.close());
 */
export async function startAlpacaPipeline(name: string): Promise<AlpacaPipeline> {
  const fake = startFakeAlpaca({ maxPage: 40 });
  try {
    const pipeline = await startPipeline(name);
    return {
      ...pipeline,
      fake,
      async close() {
        await pipeline.close();
        fake.stop();
      },
    };
  } catch (error) {
    fake.stop();
    throw error;
  }
}

/**
 * Every stored row of `symbol` in the `ticks` table: its trades' sequences (sorted) and how many
 * quotes.
 */
export async function storedTradesAndQuotes(db: Pipeline["db"], symbol: string) {
  const trades: number[] = [];
  let quotes = 0;
  const rows = await db.execute("SELECT symbol, kind, sequence FROM ticks", [], {
    prepare: true,
    fetchSize: 2_000,
  });
  for await (const row of rows) {
    if (row.get("symbol") !== symbol) continue;
    if (row.get("kind") === "TRADE") trades.push(Number(row.get("sequence")));
    else quotes += 1;
  }
  return { trades: trades.sort((a, b) => a - b), quotes };
}

/**
 * Runs `bun run backfill` (src/backfill/cli.ts) for `symbols` over [from, to) of one `provider`,
 * its progress kept in `state`, with `env` (the provider's keys, `PRODUCER_URL`); resolves what it
 * printed to stdout and throws, with its output, when it exits non-zero.
 *
 * @example
 *   const summary = await runBackfill({ provider: "alpaca", symbols: "NVDA", from: session.date, to: next, state, env });
 */
export async function runBackfill(options: {
  provider: string;
  symbols: string;
  from: string;
  to: string;
  state: string;
  env: Record<string, string>;
  extra?: string[];
}): Promise<string> {
  const run = await runCommand(
    [
      "bun",
      resolve(import.meta.dir, "../src/backfill/cli.ts"),
      "--provider",
      options.provider,
      "--symbols",
      options.symbols,
      "--from",
      options.from,
      "--to",
      options.to,
      "--state",
      options.state,
      ...(options.extra ?? []),
    ],
    { env: options.env, timeoutMs: 300_000 },
  );
  if (run.code !== 0) throw new Error(`backfill exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}
