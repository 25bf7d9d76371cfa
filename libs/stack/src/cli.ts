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
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { stackDir } from "./paths.ts";
import { StackError } from "./ports.ts";
import { logFile } from "./process.ts";
import {
  type ComponentStatus,
  componentNamed,
  components,
  down,
  reset,
  status,
  up,
} from "./stack.ts";
import { runTests } from "./test-command.ts";

const usage = `usage: bun run stack <command> [component...]

commands:
  up [component...]     start (and install on first use) kafka, cassandra, registry; waits until they answer
  down [component...]   stop what this stack started (by pid file); data is kept
  status                show each component up/down with its version
  logs <component>      follow a component's log (Ctrl-C to stop)
  reset                 stop everything and delete all data under ${stackDir}
  test [bun test args]  start the stack if needed, migrate, build, run \`bun test\`, stop what it started

components: ${components.map((c) => c.name).join(", ")}`;

function printTable(rows: ComponentStatus[]) {
  for (const row of rows) {
    const state = row.up ? "up  " : "down";
    const version = row.version ? ` ${row.version}` : "";
    const pid = row.pid ? ` (pid ${row.pid})` : "";
    console.log(
      `  ${row.name.padEnd(10)} ${state} ${row.endpoint}${version}${pid}${row.detail ? ` — ${row.detail}` : ""}`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "up": {
      const started = Date.now();
      const rows = await up(rest.length > 0 ? rest.map(componentNamed) : undefined);
      console.log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      printTable(rows);
      return 0;
    }
    case "down": {
      const stopped = await down(rest.length > 0 ? rest.map(componentNamed) : undefined, (line) =>
        console.log(`  ${line}`),
      );
      console.log(
        stopped.length > 0
          ? `stopped: ${stopped.map((s) => `${s.name} in ${(s.ms / 1000).toFixed(1)} s${s.killed ? " (killed)" : ""}`).join(", ")}`
          : "nothing of ours was running",
      );
      return 0;
    }
    case "status": {
      const rows = await status();
      printTable(rows);
      return rows.every((r) => r.up) ? 0 : 3;
    }
    case "logs": {
      const name = rest[0];
      if (!name)
        throw new StackError(`logs needs a component: ${components.map((c) => c.name).join(", ")}`);
      const file = logFile(componentNamed(name).name);
      if (!existsSync(file)) throw new StackError(`${name} has not written a log yet (${file})`);
      const follow = process.stdout.isTTY ? ["-F"] : [];
      const tail = spawn("tail", ["-n", "200", ...follow, file], { stdio: "inherit" });
      return await new Promise((resolve) => tail.on("exit", (code) => resolve(code ?? 0)));
    }
    case "reset": {
      await reset();
      console.log(`stack stopped and ${stackDir} deleted`);
      return 0;
    }
    case "test":
      return runTests(rest);
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
