/**
 * The shared setup of ingest's real-stack tests: the backfill command run as an operator runs it.
 */
import { resolve } from "node:path";
import { runCommand } from "@repo/testkit";

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
