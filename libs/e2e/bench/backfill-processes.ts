/**
 * The backfill bench's two helper processes: the Alpaca stand-in (`backfill-history.ts`, its own
 * process so its page scans do not stall the bench's sampling) and `bun run backfill` itself, run
 * exactly as a user runs it.
 */
import { join, resolve } from "node:path";
import { childEnv } from "@repo/testkit";
import { backfillSymbols, type HeldHistory, session } from "./backfill-plan.ts";

/** The Alpaca stand-in's process, once it has seeded and said where it listens. */
export interface HeldHistoryProcess {
  history: HeldHistory;
  pid: number;
  /** Closes its stdin (it exits on that), SIGKILLs it after 10 s. */
  stop(): Promise<void>;
}

/**
 * @example
 * const stand = await startHeldHistory();
 * try { … stand.history.dataUrl … } finally { await stand.stop(); }
 */
export async function startHeldHistory(): Promise<HeldHistoryProcess> {
  const child = Bun.spawn(["bun", resolve(import.meta.dir, "backfill-history.ts")], {
    env: childEnv(),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await child.exited;
    clearTimeout(timer);
  };
  try {
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the Alpaca stand-in ended before saying where it listens");
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const history = JSON.parse(text.slice(0, text.indexOf("\n"))) as HeldHistory;
    return { history, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The last JSON progress line `bun run backfill --progress json` prints. */
export interface BackfillDone {
  event: string;
  forwarded: number;
  rejected: number;
  dropped: number;
  fetched: number;
}

export interface BackfillProcess {
  pid: number;
  /** Its exit code once it has exited, else undefined. */
  code(): number | undefined;
  /** Its final progress line once it has exited 0 with `done`; throws with its output otherwise. */
  result(): Promise<BackfillDone>;
  kill(): Promise<void>;
}

/**
 * Starts `bun run backfill` for the held session of every backfilled symbol, through `producerUrl`.
 *
 * @example
 * const run = spawnBackfill(stand.history, producer.url, stateDir);
 */
export function spawnBackfill(
  history: HeldHistory,
  producerUrl: string,
  stateDir: string,
): BackfillProcess {
  const nextDay = new Date(Date.parse(`${session.date}T00:00:00Z`) + 86_400_000);
  const child = Bun.spawn(
    [
      "bun",
      resolve(import.meta.dir, "../../../apps/ingest/src/backfill/cli.ts"),
      ...["--provider", "alpaca", "--symbols", backfillSymbols.join(",")],
      ...["--from", session.date, "--to", nextDay.toISOString().slice(0, 10)],
      ...["--state", join(stateDir, "state.json"), "--progress", "json"],
    ],
    {
      env: childEnv({
        ALPACA_API_KEY_ID: history.keyId,
        ALPACA_API_SECRET_KEY: history.secretKey,
        ALPACA_DATA_URL: history.dataUrl,
        ALPACA_RATE_PER_MINUTE: "60000",
        PRODUCER_URL: producerUrl,
      }),
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const output = Promise.all([
    new Response(child.stdout as ReadableStream).text(),
    new Response(child.stderr as ReadableStream).text(),
  ]);
  let exitCode: number | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  return {
    pid: child.pid,
    code: () => exitCode,
    async result() {
      const [stdout, stderr] = await output;
      const code = await child.exited;
      const done = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as BackfillDone)
        .at(-1);
      if (code !== 0 || done?.event !== "done")
        throw new Error(
          `bun run backfill exited ${code}:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`,
        );
      return done;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
