#!/usr/bin/env bun
/**
 * `bun run stack <command>`: the local Kafka + Cassandra + Schema Registry, without Docker.
 *
 * @example
 *   bun run stack up              # install (cached), start, wait until every server answers
 *   bun run stack status          # up/down and version of each component
 *   bun run stack down cassandra  # stop one component (data kept)
 *   bun run stack logs kafka      # follow a component's log
 *   bun run stack reset           # stop everything and delete all local data
 *   bun run stack up --cluster    # 3 Kafka brokers, 3 Cassandra nodes, a registry (or STACK_TOPOLOGY=cluster)
 *   bun run stack kill kafka-2    # SIGKILL one cluster node (a crash); `up kafka-2` brings it back
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { runClusterTests } from "./cluster/test-command.ts";
import { stackConfig } from "./config.ts";
import * as stack from "./index.ts";
import { clusterDir, stackDir } from "./paths.ts";
import { StackError } from "./ports.ts";
import { logFile } from "./process.ts";
import { components, reset } from "./stack.ts";
import { runTests } from "./test-command.ts";

const { cluster, localStack } = stack;

const usage = `usage: bun run stack <command> [--cluster] [component...]

commands:
  up [component...]     start (and install on first use) kafka, cassandra, registry, prometheus; waits until they answer
  down [component...]   stop what this stack started (by pid file); data is kept
  kill <component...>   SIGKILL, no shutdown (a crash, for failover tests); \`up\` brings it back
  status                show each component up/down with its version and resident memory
  logs <component>      follow a component's log (Ctrl-C to stop)
  reset                 stop everything and delete all data under ${stackDir} (with --cluster: ${clusterDir} only)
  test [bun test args]  start the stack if needed, migrate, build, run \`bun test\`, stop what it started
  test --cluster [--bench] [path...]
                        the same on the cluster for *.cluster-test.ts (--bench: *.cluster-bench.ts)

--cluster (or STACK_TOPOLOGY=cluster) selects the 3-broker, 3-node cluster; a node name alone does too.
components: ${components.map((c) => c.name).join(", ")}
cluster:    ${cluster.servers.map((s) => s.name).join(", ")}`;

function printTable(rows: stack.ServerStatus[]) {
  const width = Math.max(10, ...rows.map((row) => row.name.length));
  for (const row of rows) {
    const state = row.up ? "up  " : "down";
    const version = row.version ? ` ${row.version}` : "";
    const pid = row.pid ? ` (pid ${row.pid})` : "";
    const rss = row.rssMiB !== undefined ? ` ${row.rssMiB} MiB` : "";
    const note = row.detail ?? (row.up ? row.summary : undefined);
    console.log(
      `  ${row.name.padEnd(width)} ${state} ${row.endpoint}${version}${pid}${rss}${note ? ` — ${note}` : ""}`,
    );
  }
}

/**
 * The topology a command is about (`--cluster`, `STACK_TOPOLOGY`, or names only the cluster has)
 * and the named servers of it.
 */
function selection(args: string[]) {
  const topologies: Record<string, stack.Topology> = { single: localStack, cluster };
  const fallback = topologies[stackConfig.STACK_TOPOLOGY] ?? localStack;
  const names = args.filter((arg) => arg !== "--cluster");
  const onlyInCluster = (name: string) =>
    cluster.servers.some((s) => s.name === name) &&
    !localStack.servers.some((s) => s.name === name);
  const topology =
    args.includes("--cluster") || (names.length > 0 && names.every(onlyInCluster))
      ? cluster
      : fallback;
  const servers = names.map((name) => stack.serverNamed(topology, name));
  return { topology, servers: servers.length > 0 ? servers : undefined, named: names };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "up": {
      const { topology, servers } = selection(rest);
      const started = Date.now();
      const rows = await stack.upTopology(topology, servers);
      console.log(`${topology.name} up in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      printTable(rows);
      return 0;
    }
    case "down": {
      const { topology, servers } = selection(rest);
      const stopped = await stack.downTopology(topology, servers, (line) =>
        console.log(`  ${line}`),
      );
      console.log(
        stopped.length > 0
          ? `stopped: ${stopped.map((s) => `${s.name} in ${(s.ms / 1000).toFixed(1)} s${s.killed ? " (killed)" : ""}`).join(", ")}`
          : "nothing of ours was running",
      );
      return 0;
    }
    case "kill": {
      const { topology, servers } = selection(rest);
      if (!servers) throw new StackError("kill needs the components to kill, e.g. `kill kafka-2`");
      const killed = await stack.killServers(topology, servers);
      console.log(
        killed.length > 0
          ? `killed (SIGKILL): ${killed.map((k) => `${k.name} (pid ${k.pid})`).join(", ")}`
          : "nothing of ours was running",
      );
      return 0;
    }
    case "status": {
      const { topology } = selection(rest);
      const rows = await stack.statusOf(topology);
      printTable(rows);
      return rows.every((r) => r.up) ? 0 : 3;
    }
    case "logs": {
      const { topology, named } = selection(rest);
      const name = named[0];
      if (!name)
        throw new StackError(
          `logs needs a component: ${topology.servers.map((s) => s.name).join(", ")}`,
        );
      const file = logFile(stack.serverNamed(topology, name).name, topology.place);
      if (!existsSync(file)) throw new StackError(`${name} has not written a log yet (${file})`);
      const follow = process.stdout.isTTY ? ["-F"] : [];
      const tail = spawn("tail", ["-n", "200", ...follow, file], { stdio: "inherit" });
      return await new Promise((resolve) => tail.on("exit", (code) => resolve(code ?? 0)));
    }
    case "reset": {
      if (selection(rest).topology === cluster) {
        await stack.downTopology(cluster);
        rmSync(clusterDir, { recursive: true, force: true });
        console.log(`cluster stopped and ${clusterDir} deleted`);
        return 0;
      }
      await reset();
      console.log(`stack stopped and ${stackDir} deleted`);
      return 0;
    }
    case "test":
      return rest[0] === "--cluster" ? runClusterTests(rest.slice(1)) : runTests(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const command = process.argv.slice(2).join(" ");
  if (error instanceof StackError) {
    console.error(`stack ${command}: ${error.message}`);
  } else {
    // Never an empty line: an error without a message still has a name and a stack.
    const text = error instanceof Error ? error.stack || error.name : String(error);
    console.error(`stack ${command} failed unexpectedly: ${text || "(no message)"}`);
  }
  process.exitCode = 1;
}
