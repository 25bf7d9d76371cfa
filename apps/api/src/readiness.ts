import { createReadinessWatch, type ReadinessWatch } from "@repo/platform/http";

/**
 * The api's readiness: Cassandra answers, probed every `intervalMs` in the background (so
 * `/readyz` and `/stats` never wait on a dead socket) once started.
 *
 * @example
 *   const health = createReadiness({ ping: () => reader.ping() });
 *   health.start();
 *   health.readiness(); // { ready: true, checks: { cassandra: { ok: true } } }
 */
export function createReadiness(options: {
  ping: () => Promise<boolean>;
  intervalMs?: number;
}): ReadinessWatch {
  return createReadinessWatch({
    intervalMs: options.intervalMs ?? 2_000,
    probes: {
      cassandra: async () =>
        (await options.ping()) ? true : { ok: false, detail: "Cassandra did not answer" },
    },
  });
}
