import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (this file lives at libs/stack/src/paths.ts). */
export const repoRoot = resolve(import.meta.dir, "../../..");

/** Everything the local stack writes (data, logs, pid files, generated config): one git-ignored folder. */
export const stackDir = resolve(process.env.STACK_DIR ?? join(repoRoot, ".stack"));

/** Downloads and builds shared by every checkout on this machine; the package managers verify them. */
export const cacheDir = resolve(
  process.env.STACK_CACHE_DIR ?? join(homedir(), ".cache", "marketpipe"),
);

export const runDir = join(stackDir, "run");
export const logDir = join(stackDir, "logs");
export const dataDir = join(stackDir, "data");
export const confDir = join(stackDir, "conf");

/** The 3-broker, 3-node cluster (`bun run stack up --cluster`) keeps its own run, logs, data and conf here. */
export const clusterDir = join(stackDir, "cluster");
