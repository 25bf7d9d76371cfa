import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logDir, runDir } from "./paths.ts";

interface PidRecord {
  pid: number;
  /** Kernel start time of the process (jiffies since boot): guards against pid reuse. */
  startTime: string;
  version: string;
  startedAt: string;
}

const pidFile = (name: string) => join(runDir, `${name}.pid.json`);
export const logFile = (name: string) => join(logDir, `${name}.log`);

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); fields after the parenthesised command name are space separated.
    const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return afterComm[19];
  } catch {
    return undefined;
  }
}

/** The pid record of a component, if the process it names is still the one we started. */
export function runningRecord(name: string): PidRecord | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  let record: PidRecord;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
  const start = procStartTime(record.pid);
  if (start === undefined || start !== record.startTime) return undefined;
  return record;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  version: string;
}

/** Starts a long-running server detached from this CLI, its output appended to `.stack/logs/<name>.log`. */
export function startDetached(options: StartOptions): number {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const out = openSync(logFile(options.name), "a");
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ["ignore", out, out],
  });
  if (child.pid === undefined)
    throw new Error(`could not start ${options.name}: ${options.command}`);
  child.unref();
  const startTime = procStartTime(child.pid) ?? "";
  const record: PidRecord = {
    pid: child.pid,
    startTime,
    version: options.version,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile(options.name), JSON.stringify(record));
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the process recorded in the component's pid file (never by name): SIGTERM to its process
 * group, then SIGKILL after `graceMs`. Returns false when nothing of ours was running.
 */
export async function stopRecorded(name: string, graceMs: number): Promise<boolean> {
  const record = runningRecord(name);
  rmSyncQuiet(pidFile(name));
  if (!record) return false;
  signalGroup(record.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (procStartTime(record.pid) !== record.startTime) return true;
    await sleep(200);
  }
  signalGroup(record.pid, "SIGKILL");
  while (procStartTime(record.pid) === record.startTime) await sleep(100);
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function rmSyncQuiet(path: string) {
  rmSync(path, { force: true });
}

/** The last `lines` lines of a component's log, for error messages. */
export function logTail(name: string, lines = 30): string {
  const file = logFile(name);
  if (!existsSync(file)) return "(no log written)";
  const text = readFileSync(file, "utf8").trimEnd().split("\n");
  return text.slice(-lines).join("\n");
}
