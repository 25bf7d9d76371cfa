import { rmSync } from "node:fs";
import { cassandra } from "./components/cassandra.ts";
import { kafka } from "./components/kafka.ts";
import { registry } from "./components/registry.ts";
import type { Component } from "./components/types.ts";
import { stackDir } from "./paths.ts";
import { assertPortsFree, StackError } from "./ports.ts";
import { runningRecord, type Stopped, stopRecorded } from "./process.ts";
import { waitUntilReady } from "./wait.ts";

export type ComponentName = Component["name"];

/** Start order; `down` goes the other way. The registry stores its schemas in Cassandra. */
export const components: Component[] = [kafka, cassandra, registry];

const dependsOn: Record<ComponentName, ComponentName[]> = {
  kafka: [],
  cassandra: [],
  registry: ["cassandra"],
};

export function componentNamed(name: string): Component {
  const found = components.find((c) => c.name === name);
  if (!found) {
    throw new StackError(
      `unknown component "${name}"; expected one of ${components.map((c) => c.name).join(", ")}`,
    );
  }
  return found;
}

export interface ComponentStatus {
  name: ComponentName;
  up: boolean;
  pid?: number;
  version?: string;
  endpoint: string;
  detail?: string;
}

/** Installs (cached), starts and waits for the given components and what they depend on. */
export async function up(selected: Component[] = components): Promise<ComponentStatus[]> {
  const wanted = new Set<ComponentName>();
  const add = (name: ComponentName) => {
    for (const dep of dependsOn[name]) add(dep);
    wanted.add(name);
  };
  for (const c of selected) add(c.name);
  const ordered = components.filter((c) => wanted.has(c.name));

  // Maven runs one at a time (they share ~/.m2); the registry's Go build overlaps with them.
  const jvm = ordered.filter((c) => c.name !== "registry");
  await Promise.all([
    jvm.reduce((chain, c) => chain.then(() => c.install()), Promise.resolve()),
    ...ordered.filter((c) => c.name === "registry").map((c) => c.install()),
  ]);

  const started = new Map<ComponentName, Promise<ComponentStatus>>();
  const bringUp = async (c: Component): Promise<ComponentStatus> => {
    await Promise.all(dependsOn[c.name].map((d) => started.get(d)));
    const existing = runningRecord(c.name);
    if (!existing) {
      await assertPortsFree(c.name, c.ports);
      await c.start();
    }
    try {
      const version = await waitUntilReady(c.name, () => c.probe(), {
        timeoutMs: c.readyTimeoutMs,
        alive: () => runningRecord(c.name) !== undefined,
      });
      return {
        name: c.name,
        up: true,
        pid: runningRecord(c.name)?.pid,
        version,
        endpoint: c.endpoint,
      };
    } catch (error) {
      if (!existing) await stopRecorded(c.name, c.stopGraceMs);
      throw error;
    }
  };
  for (const c of ordered) started.set(c.name, bringUp(c));
  const results = await Promise.allSettled(ordered.map((c) => started.get(c.name)));
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failures.length > 0) throw failures[0]?.reason;
  return results.map((r) => (r as PromiseFulfilledResult<ComponentStatus>).value);
}

/**
 * Stops exactly the processes this stack started (pid files), newest dependency last. Keeps data.
 * `onProgress` hears each signal sent, so a stop that takes long says what it is waiting for.
 */
export async function down(
  selected: Component[] = components,
  onProgress?: (line: string) => void,
): Promise<Stopped[]> {
  const stopped: Stopped[] = [];
  for (const c of [...selected].reverse()) {
    const result = await stopRecorded(c.name, c.stopGraceMs, onProgress);
    if (result) stopped.push(result);
  }
  return stopped;
}

/** `down`, then deletes every byte of local data, logs and generated configuration. */
export async function reset(): Promise<void> {
  await down();
  rmSync(stackDir, { recursive: true, force: true });
}

/** What is up, according to our pid files and a live probe of each server. */
export async function status(): Promise<ComponentStatus[]> {
  return Promise.all(
    components.map(async (c): Promise<ComponentStatus> => {
      const record = runningRecord(c.name);
      if (!record) return { name: c.name, up: false, endpoint: c.endpoint };
      try {
        const version = await c.probe();
        return { name: c.name, up: true, pid: record.pid, version, endpoint: c.endpoint };
      } catch (error) {
        return {
          name: c.name,
          up: false,
          pid: record.pid,
          version: record.version,
          endpoint: c.endpoint,
          detail: `process running but not answering: ${error instanceof Error ? error.message : error}`,
        };
      }
    }),
  );
}
