import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv } from "../config.ts";
import { StackError } from "../ports.ts";

/** A server a test started for itself: its own ports, data in a temporary folder, gone on stop. */
export interface ScratchServer {
  /** The folder holding its configuration, data and certificates. */
  dir: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, SIGKILL after `graceMs`, then its folder is deleted. */
  stop(graceMs?: number): Promise<void>;
}

/** A temporary folder for one scratch server (under the OS temp dir, never the repository). */
export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `marketpipe-${name}-`));
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs `command` in the foreground of this process (killed with it), collecting its output, and
 * waits until `ready()` resolves true; throws with the output's tail if it exits or `timeoutMs`
 * passes first.
 */
export async function startScratch(options: {
  name: string;
  dir: string;
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  ready: () => Promise<boolean>;
  timeoutMs: number;
}): Promise<ScratchServer> {
  const child = spawn(options.command, options.args, {
    cwd: options.dir,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: ScratchServer = {
    dir: options.dir,
    output: () => output,
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      rmSync(options.dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await options.ready().catch(() => false)) return server;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const why =
    child.exitCode !== null || child.signalCode !== null
      ? `exited (${child.exitCode ?? child.signalCode})`
      : `was not ready within ${options.timeoutMs} ms`;
  const tail = output.trimEnd().split("\n").slice(-30).join("\n");
  await server.stop(2_000);
  throw new StackError(`scratch ${options.name} ${why}:\n${tail}`);
}
