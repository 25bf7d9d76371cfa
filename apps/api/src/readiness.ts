import type { Readiness } from "@repo/platform/http";
import { sleep } from "@repo/platform/retry";

/**
 * The api's readiness: Cassandra answers. It is probed every `intervalMs` in the background (so
 * `/readyz` and `/stats` never wait on a dead socket) from {@link start} until `signal` aborts.
 *
 * @example
 *   const cassandra = createCassandraWatch({ ping: () => reader.ping() });
 *   void cassandra.start(stopping);
 *   cassandra.readiness(); // { ready: true, checks: { cassandra: { ok: true } } }
 */
export function createCassandraWatch(options: {
  ping: () => Promise<boolean>;
  intervalMs?: number;
}) {
  let ok = false;
  return {
    /** Probes until `signal` aborts; resolves then. */
    async start(signal: AbortSignal) {
      while (!signal.aborted) {
        ok = await options.ping().catch(() => false);
        await sleep(options.intervalMs ?? 2_000, signal);
      }
    },
    connected: () => ok,
    readiness(): Readiness {
      return {
        ready: ok,
        checks: { cassandra: ok ? { ok } : { ok, detail: "Cassandra did not answer" } },
      };
    },
  };
}
