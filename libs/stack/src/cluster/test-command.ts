import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { childEnv, stackConfig } from "../config.ts";
import { repoRoot, stackDir } from "../paths.ts";
import { runningRecord } from "../process.ts";
import { components, down, up } from "../stack.ts";
import { buildServices, printSummary } from "../test-command.ts";
import { downTopology, type ServerStatus, statusOf, upTopology } from "../topology.ts";
import { cluster, clusterEnv } from "./topology.ts";

/** Where cluster suites live: `*.cluster-test.ts`, a name `bun test`'s default glob never matches. */
const suites = new Bun.Glob("{apps,libs}/*/{src,test}/**/*.cluster-test.ts");
/** `--bench`: throughput on the cluster beside the single-node stack. */
const benches = new Bun.Glob("{apps,libs}/*/{src,test}/**/*.cluster-bench.ts");

/**
 * `bun run test:cluster [--bench] [path…] [bun test args]`: starts whatever part of the cluster is
 * not running (timed), builds the services, runs the cluster suites with the cluster's endpoints and
 * production replication in the environment, and stops exactly what it started (`STACK_KEEP=1`
 * keeps it). `--bench` runs the throughput benchmark instead, which also needs the local stack.
 */
export async function runClusterTests(args: string[]): Promise<number> {
  const bench = args.includes("--bench");
  const rest = args.filter((arg) => arg !== "--bench");
  const startedHere = cluster.servers.filter((s) => !runningRecord(s.name, cluster.place));
  const localStartedHere = bench ? components.filter((c) => !runningRecord(c.name)) : [];
  try {
    const began = Date.now();
    const rows = await upTopology(cluster);
    const what = startedHere.length > 0 ? `started ${startedHere.length} servers` : "already up";
    console.log(
      `cluster ready in ${seconds(Date.now() - began)} (${what}; load average ${load()}): ${memory(rows)}`,
    );
    if (bench) {
      const local = await up();
      console.log(`local stack ready: ${local.map((r) => `${r.name} ${r.version}`).join(", ")}`);
    }
    if (!buildServices()) return 1;

    const paths = rest.filter((arg) => !arg.startsWith("-"));
    const flags = rest.filter((arg) => arg.startsWith("-"));
    const files =
      paths.length > 0
        ? paths
        : [...(bench ? benches : suites).scanSync({ cwd: repoRoot })].map((f) => `./${f}`);
    if (files.length === 0) {
      console.error("no cluster suite found (*.cluster-test.ts)");
      return 1;
    }
    const reportDir = join(stackDir, "test-results");
    mkdirSync(reportDir, { recursive: true });
    const junit = join(reportDir, bench ? "cluster-bench.xml" : "cluster-junit.xml");
    // A run that crashes before writing its report must not print the previous run's summary.
    rmSync(junit, { force: true });
    console.log(`running ${files.map((f) => relative(".", f)).join(", ")} against the cluster`);
    const tests = spawnSync(
      "bun",
      [
        "test",
        "--timeout",
        "600000",
        "--reporter=junit",
        `--reporter-outfile=${junit}`,
        ...flags,
        ...files,
      ],
      { cwd: repoRoot, stdio: "inherit", env: childEnv(clusterEnv) },
    );
    printSummary(junit, tests.status);
    console.log(
      `cluster after the run (load average ${load()}): ${memory(await statusOf(cluster))}`,
    );
    return existsSync(junit) ? (tests.status ?? 1) : tests.status || 1;
  } finally {
    if (!stackConfig.STACK_KEEP) {
      if (startedHere.length > 0) {
        const stopping = Date.now();
        const stopped = await downTopology(cluster, startedHere);
        console.log(
          `stopped the ${stopped.length} cluster servers this run started in ${seconds(Date.now() - stopping)}`,
        );
      }
      if (localStartedHere.length > 0) await down(localStartedHere);
    }
  }
}

/** The 1-minute load average: on a shared 2-core machine it explains most timing differences. */
function load(): string {
  return (loadavg()[0] ?? 0).toFixed(1);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "kafka-1 402 MiB, …; 5.1 GiB in all". */
function memory(rows: ServerStatus[]): string {
  const up = rows.filter((r) => r.rssMiB !== undefined);
  const total = up.reduce((sum, r) => sum + (r.rssMiB ?? 0), 0);
  const each = up.map((r) => `${r.name} ${r.rssMiB} MiB`).join(", ");
  return `${each}; ${(total / 1024).toFixed(1)} GiB resident in all`;
}
