/**
 * What a benchmark reads about a process from Linux's `/proc` (see proc(5)): CPU seconds used and
 * resident memory. Plain `node:fs`, so the Node-side bench writers use it too.
 */
import { readFileSync } from "node:fs";

/**
 * CPU seconds (user + system, `utime` + `stime` of /proc/PID/stat at 100 ticks/s) a process has used
 * so far; NaN once it has gone.
 *
 * @example
 * const before = cpuSecondsOf(consumer.pid);
 * // … run a phase …
 * const perTickUs = ((cpuSecondsOf(consumer.pid) - before) * 1e6) / ticks;
 */
export function cpuSecondsOf(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/stat`);
}

/**
 * CPU seconds a process's main thread (the event loop of a Node process: its thread id is the
 * process id) has used so far, without the threads beside it (libuv's pool, librdkafka's); NaN once
 * it has gone.
 *
 * @example
 * const mainUs = ((mainThreadCpuSecondsOf(process.pid) - before) * 1e6) / records;
 */
export function mainThreadCpuSecondsOf(pid: number): number {
  return cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsIn(statPath: string): number {
  try {
    const fields = readFileSync(statPath, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * A process's resident set now (`VmRSS`) and its peak (`VmHWM`), in MB.
 *
 * @example
 * const { rssMb, peakMb } = rssOf(consumer.pid);
 */
export function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/**
 * The `q` quantile of an ascending list (the nearest-rank value at or above it); NaN when empty.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 3
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
