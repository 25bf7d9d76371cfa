import { readFileSync } from "node:fs";
import type { Server } from "./components/types.ts";
import { assertPortsFree, StackError } from "./ports.ts";
import { killRecorded, type Place, runningRecord, type Stopped, stopRecorded } from "./process.ts";
import { ExitedWhileStarting, waitUntilReady } from "./wait.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A set of servers started and stopped together: the single-node local stack, or the cluster.
 * Each keeps its pid files and logs in its own place, so one never touches the other's processes.
 */
export interface Topology {
  /** "stack" or "cluster", as messages name it. */
  name: string;
  /** Start order; `down` goes the other way. */
  servers: Server[];
  /** Servers that must answer before this one starts (Cassandra nodes join one after another). */
  dependsOn: Record<string, string[]>;
  /**
   * `down` signals every server at once instead of one after another. A KRaft cluster needs it: a
   * controller stopped after the others finds no quorum for its controlled shutdown and waits out
   * its whole grace period.
   */
  stopConcurrently?: boolean;
  place: Place;
}

export interface ServerStatus {
  name: string;
  up: boolean;
  pid?: number;
  version?: string;
  endpoint: string;
  /** Resident memory of the process, when it runs. */
  rssMiB?: number;
  summary?: string;
  detail?: string;
}

/** The server of that name, or a StackError listing the names there are. */
export function serverNamed(topology: Topology, name: string): Server {
  const found = topology.servers.find((s) => s.name === name);
  if (!found) {
    throw new StackError(
      `unknown component "${name}"; expected one of ${topology.servers.map((s) => s.name).join(", ")}`,
    );
  }
  return found;
}

/**
 * Installs (cached), starts and waits for the selected servers and what they depend on. Servers
 * already running are only probed. A server is started once everything it depends on answers.
 */
export async function upTopology(
  topology: Topology,
  selected: Server[] = topology.servers,
): Promise<ServerStatus[]> {
  const wanted = new Set<string>();
  const add = (name: string) => {
    for (const dep of topology.dependsOn[name] ?? []) add(dep);
    wanted.add(name);
  };
  for (const s of selected) add(s.name);
  const ordered = topology.servers.filter((s) => wanted.has(s.name));

  // Maven runs one at a time (they share ~/.m2); a Go build overlaps with them.
  await Promise.all([
    ordered
      .filter((s) => s.installer !== "go")
      .reduce((chain, s) => chain.then(() => s.install()), Promise.resolve()),
    ...ordered.filter((s) => s.installer === "go").map((s) => s.install()),
  ]);

  const { place } = topology;
  const started = new Map<string, Promise<ServerStatus>>();
  const bringUp = async (s: Server): Promise<ServerStatus> => {
    await Promise.all((topology.dependsOn[s.name] ?? []).map((d) => started.get(d)));
    const existing = runningRecord(s.name, place);
    const attempts = existing ? 1 : (s.startAttempts ?? 1);
    try {
      let version: string | undefined;
      for (let attempt = 1; version === undefined; attempt++) {
        if (!existing) {
          await assertPortsFree(s.name, s.ports);
          await s.start();
        }
        try {
          version = await waitUntilReady(s.name, () => s.probe(), {
            timeoutMs: s.readyTimeoutMs,
            alive: () => runningRecord(s.name, place) !== undefined,
            place,
          });
        } catch (error) {
          if (!(error instanceof ExitedWhileStarting) || attempt >= attempts) throw error;
          console.log(
            `  ${s.name} exited while starting; starting it again (${attempt + 1}/${attempts})`,
          );
          await sleep(1_000);
        }
      }
      const pid = runningRecord(s.name, place)?.pid;
      const rss = rssMiB(pid);
      return {
        name: s.name,
        up: true,
        pid,
        version,
        endpoint: s.endpoint,
        rssMiB: rss,
        summary: s.summary,
      };
    } catch (error) {
      if (!existing) await stopRecorded(s.name, s.stopGraceMs, undefined, place);
      throw error;
    }
  };
  for (const s of ordered) started.set(s.name, bringUp(s));
  const results = await Promise.allSettled(ordered.map((s) => started.get(s.name)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0) throw failures[0]?.reason;
  return results.map((r) => (r as PromiseFulfilledResult<ServerStatus>).value);
}

/**
 * Stops exactly the processes this topology started (pid files), in reverse start order (or all at
 * once, see {@link Topology.stopConcurrently}), SIGTERM then SIGKILL after each server's grace
 * period. Keeps data.
 */
export async function downTopology(
  topology: Topology,
  selected: Server[] = topology.servers,
  onProgress?: (line: string) => void,
): Promise<Stopped[]> {
  const order = topology.servers.filter((s) => selected.includes(s)).reverse();
  if (topology.stopConcurrently) {
    const results = await Promise.all(
      order.map((s) => stopRecorded(s.name, s.stopGraceMs, onProgress, topology.place)),
    );
    return results.filter((r): r is Stopped => r !== undefined);
  }
  const stopped: Stopped[] = [];
  for (const s of order) {
    const result = await stopRecorded(s.name, s.stopGraceMs, onProgress, topology.place);
    if (result) stopped.push(result);
  }
  return stopped;
}

/** SIGKILL to each selected server: a crash, for failover tests. Data stays as the crash left it. */
export async function killServers(topology: Topology, selected: Server[]): Promise<Stopped[]> {
  const killed: Stopped[] = [];
  for (const s of selected) {
    const result = await killRecorded(s.name, topology.place);
    if (result) killed.push(result);
  }
  return killed;
}

/** What is up, according to the pid files and a live probe of each server. */
export async function statusOf(topology: Topology): Promise<ServerStatus[]> {
  return Promise.all(
    topology.servers.map(async (s): Promise<ServerStatus> => {
      const record = runningRecord(s.name, topology.place);
      if (!record) return { name: s.name, up: false, endpoint: s.endpoint, summary: s.summary };
      const rss = rssMiB(record.pid);
      try {
        const version = await s.probe();
        return {
          name: s.name,
          up: true,
          pid: record.pid,
          version,
          endpoint: s.endpoint,
          rssMiB: rss,
          summary: s.summary,
        };
      } catch (error) {
        return {
          name: s.name,
          up: false,
          pid: record.pid,
          version: record.version,
          endpoint: s.endpoint,
          rssMiB: rss,
          detail: `process running but not answering: ${error instanceof Error ? error.message : error}`,
        };
      }
    }),
  );
}

/** VmRSS of a process in MiB, from /proc. */
function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib ? Math.round(Number(kib) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
