import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** What a backfill loads; two runs with the same job share their progress. */
export interface BackfillJob {
  provider: string;
  feed: string;
  symbols: string[];
  /** Inclusive first New York date, `YYYY-MM-DD`. */
  from: string;
  /** Exclusive last New York date. */
  to: string;
  kinds: string[];
}

/** How far one unit (a session date and a kind) got: the page token of the next page, or done. */
export interface UnitProgress {
  done: boolean;
  pageToken: string | null;
  pages: number;
  fetched: number;
}

export interface BackfillState {
  version: 1;
  job: BackfillJob;
  units: Record<string, UnitProgress>;
  updatedAt: string;
}

/**
 * Where progress is kept unless `--state` says otherwise:
 * `$XDG_STATE_HOME/marketpipe/backfill/<provider>-<hash of the job>.json`
 * (`~/.local/state/marketpipe/backfill/…` when XDG_STATE_HOME is unset).
 *
 * @example
 *   defaultStatePath(job, config); // "/home/me/.local/state/marketpipe/backfill/alpaca-3f9c0a1b2c4d.json"
 */
export function defaultStatePath(
  job: BackfillJob,
  env: { XDG_STATE_HOME?: string | undefined },
): string {
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "marketpipe", "backfill", `${job.provider}-${jobKey(job)}.json`);
}

/** A short stable hash of the job (symbols and kinds sorted). */
export function jobKey(job: BackfillJob): string {
  const canonical = JSON.stringify({
    ...job,
    symbols: [...job.symbols].sort(),
    kinds: [...job.kinds].sort(),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}

/**
 * The saved progress of `job` at `path`, or a fresh state. A file written for another job is
 * refused (a different `--state` is needed), never silently reused.
 *
 * @example
 *   const state = loadState(path, job);
 *   state.units["2026-11-20/trades"]; // { done: false, pageToken: "…", pages: 3, fetched: 30000 }
 */
export function loadState(path: string, job: BackfillJob): BackfillState {
  if (!existsSync(path)) return { version: 1, job, units: {}, updatedAt: new Date().toISOString() };
  const saved = JSON.parse(readFileSync(path, "utf8")) as BackfillState;
  if (jobKey(saved.job) !== jobKey(job))
    throw new Error(
      `${path} records another backfill (${JSON.stringify(saved.job)}); pass a different --state`,
    );
  return saved;
}

/** Writes the state atomically (a crash leaves the previous version, never half a file). */
export function saveState(path: string, state: BackfillState): void {
  mkdirSync(dirname(path), { recursive: true });
  state.updatedAt = new Date().toISOString();
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}
