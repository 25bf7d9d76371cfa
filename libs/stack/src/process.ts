import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { childEnv } from "./config.ts";
import { logDir, runDir } from "./paths.ts";
import { StackError } from "./ports.ts";

interface PidRecord {
  pid: number;
  /** Kernel start time of the process (jiffies since boot): guards against pid reuse. */
  startTime: string;
  version: string;
  startedAt: string;
}

/** Where a topology keeps its pid files and logs: `.stack/` for the local stack, `.stack/cluster/` for the cluster. */
export interface Place {
  runDir: string;
  logDir: string;
}

/** The single-node stack's place: `.stack/run` and `.stack/logs`. */
export const stackPlace: Place = { runDir, logDir };

const pidFile = (name: string, place: Place) => join(place.runDir, `${name}.pid.json`);
export const logFile = (name: string, place: Place = stackPlace) =>
  join(place.logDir, `${name}.log`);

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
export function runningRecord(name: string, place: Place = stackPlace): PidRecord | undefined {
  const file = pidFile(name, place);
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
  place?: Place;
}

/** Starts a long-running server detached from this CLI, its output appended to `.stack/logs/<name>.log`. */
export function startDetached(options: StartOptions): number {
  const place = options.place ?? stackPlace;
  mkdirSync(place.runDir, { recursive: true });
  mkdirSync(place.logDir, { recursive: true });
  const out = openSync(logFile(options.name, place), "a");
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: childEnv(options.env),
    detached: true,
    stdio: ["ignore", out, out],
  });
  if (child.pid === undefined)
    throw new Error(`could not start ${options.name}: ${options.command}`);
  child.unref();
  recordStarted(options.name, child.pid, options.version, place);
  return child.pid;
}

/** Writes the pid file that makes `pid` the running `name` for `status`, `up` and `down`. */
export function recordStarted(
  name: string,
  pid: number,
  version: string,
  place: Place = stackPlace,
) {
  mkdirSync(place.runDir, { recursive: true });
  const record: PidRecord = {
    pid,
    startTime: procStartTime(pid) ?? "",
    version,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(pidFile(name, place), JSON.stringify(record));
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
  place: Place = stackPlace,
): Promise<Stopped | undefined> {
  const record = runningRecord(name, place);
  rmSyncQuiet(pidFile(name, place));
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
  return killAndWait(name, record, started, place);
}

/**
 * A crash on purpose: SIGKILL to the recorded process group, no SIGTERM and no shutdown hooks, then
 * waits until the process is gone. The pid file is removed; data stays as the crash left it.
 * Resolves undefined when nothing of ours was running.
 *
 * @example
 *   await killRecorded("kafka-2", clusterPlace); // the broker vanishes mid-stream
 */
export async function killRecorded(
  name: string,
  place: Place = stackPlace,
): Promise<Stopped | undefined> {
  const record = runningRecord(name, place);
  rmSyncQuiet(pidFile(name, place));
  if (!record) return undefined;
  return killAndWait(name, record, Date.now(), place);
}

/**
 * SIGKILL to the recorded process group, then waits until the process is gone (`ms` counted from
 * `started`); a StackError naming its state and the log's tail if it is still there.
 */
async function killAndWait(
  name: string,
  record: PidRecord,
  started: number,
  place: Place,
): Promise<Stopped> {
  signalGroup(record.pid, "SIGKILL");
  const killedAt = Date.now();
  while (Date.now() - killedAt < killWaitMs) {
    if (procStartTime(record.pid) !== record.startTime)
      return { name, pid: record.pid, ms: Date.now() - started, killed: true };
    await sleep(50);
  }
  const state = procState(record.pid)?.state ?? "?";
  throw new StackError(
    `${name} (pid ${record.pid}) is still in the process table ${killWaitMs / 1000} s after SIGKILL ` +
      `(state ${state}${state === "D" ? ": blocked in uninterruptible I/O" : ""}). ` +
      `Check \`ps -o pid,ppid,stat,cmd -p ${record.pid}\`. Last lines of ${logFile(name, place)}:\n${logTail(name, 30, place)}`,
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
export function logTail(name: string, lines = 30, place: Place = stackPlace): string {
  const file = logFile(name, place);
  if (!existsSync(file)) return "(no log written)";
  const text = readFileSync(file, "utf8").trimEnd().split("\n");
  return text.slice(-lines).join("\n");
}
