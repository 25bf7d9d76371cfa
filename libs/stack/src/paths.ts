import { join } from "node:path";
import { repoRoot, stackConfig } from "./config.ts";

export { repoRoot };

/** Everything the local stack writes (data, logs, pid files, generated config): one git-ignored folder. */
export const stackDir = stackConfig.STACK_DIR;

/** Downloads and builds shared by every checkout on this machine; the package managers verify them. */
export const cacheDir = stackConfig.STACK_CACHE_DIR;

export const runDir = join(stackDir, "run");
export const logDir = join(stackDir, "logs");
export const dataDir = join(stackDir, "data");
export const confDir = join(stackDir, "conf");

/** The 3-broker, 3-node cluster (`bun run stack up --cluster`) keeps its own run, logs, data and conf here. */
export const clusterDir = join(stackDir, "cluster");
