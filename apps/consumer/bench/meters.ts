/**
 * What the consumer bench measures about processes: CPU seconds per process over a phase (the
 * stack's servers and any extra process), when Cassandra has gone quiet, and a Node service's V8
 * heap from its own `/metrics`. The /proc readers are `@repo/testkit/proc`'s.
 */
import { parseExposition } from "@repo/platform/exposition";
import { localStack, statusOf } from "@repo/stack";
import { cpuSecondsOf } from "@repo/testkit/proc";

export const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/**
 * CPU seconds each of the stack's servers (and any extra process) spent between two calls: where
 * the machine's cores went during a phase, and per row or tick of it.
 *
 * @example
 * const used = await cpuMeter({ consumer: consumer.pid });
 * // … the phase …
 * console.log(used().perUnit(ticks)); // "consumer 31 µs, kafka 4 µs, cassandra 22 µs"
 */
export async function cpuMeter(extra: Record<string, number>) {
  const pids: Record<string, number> = { ...extra };
  for (const server of await statusOf(localStack)) {
    if (server.pid !== undefined && server.name !== "registry") pids[server.name] = server.pid;
  }
  const read = () =>
    Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const before = read();
  const started = performance.now();
  return () => {
    const wall = (performance.now() - started) / 1000;
    const seconds: Record<string, number> = Object.fromEntries(
      Object.entries(read()).map(([name, s]) => [name, s - (before[name] ?? 0)]),
    );
    const used = Object.entries(seconds);
    const total = used.reduce((sum, [, s]) => sum + s, 0);
    return {
      seconds,
      /** µs of CPU per unit of `count` for each process, e.g. "consumer 31 µs, cassandra 22 µs". */
      perUnit: (count: number) =>
        used.map(([name, s]) => `${name} ${fmt((s * 1e6) / count)} µs`).join(", "),
      text: `${used.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(", ")} over ${wall.toFixed(1)} s wall (${(total / wall).toFixed(2)} of ${navigator.hardwareConcurrency} cores)`,
    };
  };
}

/**
 * Waits (at most 60 s) until Cassandra uses under a tenth of a core for two seconds running;
 * returns the seconds waited.
 *
 * @example
 * console.log(`Cassandra idle again after ${(await cassandraSettled()).toFixed(1)} s`);
 */
export async function cassandraSettled(): Promise<number> {
  const pid = (await statusOf(localStack)).find((server) => server.name === "cassandra")?.pid;
  const started = performance.now();
  if (pid === undefined) return 0;
  for (let quiet = 0; quiet < 2 && performance.now() - started < 60_000; ) {
    const before = cpuSecondsOf(pid);
    await Bun.sleep(1000);
    quiet = cpuSecondsOf(pid) - before < 0.1 ? quiet + 1 : 0;
  }
  return (performance.now() - started) / 1000;
}

/** Where a Node process's memory is, in MB, from its own Prometheus `/metrics` (prom-client defaults). */
export async function heapOf(url: string) {
  const families = parseExposition(await (await fetch(`${url}/metrics`)).text());
  const mb = (name: string) => (families.get(name)?.samples[0]?.value ?? 0) / 2 ** 20;
  return {
    heapTotalMb: mb("nodejs_heap_size_total_bytes"),
    heapUsedMb: mb("nodejs_heap_size_used_bytes"),
    externalMb: mb("nodejs_external_memory_bytes"),
  };
}
