import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { logDir, runDir } from "./paths.ts";
import { StackError } from "./ports.ts";

interface PidRecord {
  pid: number;
  /** Kernel start time of the process (jiffies since boot): guards against pid reuse. */
  startTime: string;
  version: string;
  startedAt: string;
}

const pidFile = (name: string) => join(runDir, `${name}.pid.json`);
export const logFile = (name: string) => join(logDir, `${name}.log`);

interface ProcState {
  /** Kernel start time (jiffies since boot): guards against pid reuse. */
  startTime: string;
  /** One letter: R running, S sleeping, D uninterruptible I/O, Z zombie (exited, not yet reaped)… */
  state: string;
}

function procState(pid: number): ProcState | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name are space separated: state is field 3, starttime 22.
    const afterComm = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: afterComm[0] ?? "?", startTime: afterComm[19] ?? "" };
  } catch {
    return undefined;
  }
}

/**
 * The start time of `pid` while it is alive. A zombie has exited and released its ports and files;
 * only its parent can reap it, and a parent that is blocked (a Bun or Node process inside
 * `spawnSync`, e.g. `bun run test` that started the stack) leaves it in the process table
 * indefinitely, so it counts as gone.
 */
function procStartTime(pid: number): string | undefined {
  const proc = procState(pid);
  return proc && proc.state !== "Z" && proc.state !== "X" ? proc.startTime : undefined;
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
  recordStarted(options.name, child.pid, options.version);
  return child.pid;
}

/** Writes the pid file that makes `pid` the running `name` for `status`, `up` and `down`. */
export function recordStarted(name: string, pid: number, version: string) {
  mkdirSync(runDir, { recursive: true });
  const record: PidRecord = {
    pid,
    startTime: procStartTime(pid) ?? "",
    version,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile(name), JSON.stringify(record));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a process may take to disappear after SIGKILL before `down` reports it. */
const killWaitMs = 10_000;

export interface Stopped {
  name: string;
  pid: number;
  /** From the first signal until the process was gone. */
  ms: number;
  /** It ignored SIGTERM for the whole grace period and was killed. */
  killed: boolean;
}

/**
 * Stops the process recorded in the component's pid file (never by name): SIGTERM to its process
 * group, then SIGKILL after `graceMs`. Resolves undefined when nothing of ours was running; throws a
 * StackError naming the process and its state when it is still there after SIGKILL.
 */
export async function stopRecorded(
  name: string,
  graceMs: number,
  onProgress: (line: string) => void = () => {},
): Promise<Stopped | undefined> {
  const record = runningRecord(name);
  rmSyncQuiet(pidFile(name));
  if (!record) return undefined;
  const started = Date.now();
  const gone = () => procStartTime(record.pid) !== record.startTime;
  onProgress(`${name}: SIGTERM to pid ${record.pid}, waiting up to ${graceMs / 1000} s`);
  signalGroup(record.pid, "SIGTERM");
  while (Date.now() - started < graceMs) {
    if (gone()) return { name, pid: record.pid, ms: Date.now() - started, killed: false };
    await sleep(200);
  }
  onProgress(`${name}: still running ${graceMs / 1000} s after SIGTERM; SIGKILL`);
  signalGroup(record.pid, "SIGKILL");
  const killedAt = Date.now();
  while (Date.now() - killedAt < killWaitMs) {
    if (gone()) return { name, pid: record.pid, ms: Date.now() - started, killed: true };
    await sleep(100);
  }
  const state = procState(record.pid)?.state ?? "?";
  throw new StackError(
    `${name} (pid ${record.pid}) is still in the process table ${killWaitMs / 1000} s after SIGKILL ` +
      `(state ${state}${state === "D" ? ": blocked in uninterruptible I/O" : ""}). ` +
      `Check \`ps -o pid,ppid,stat,cmd -p ${record.pid}\`. Last lines of ${logFile(name)}:\n${logTail(name)}`,
  );
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
