import {
  createReadinessWatch,
  type Probe,
  type ReadinessWatch,
  retryingCheck,
} from "@repo/platform/http";

/**
 * The consumer's readiness: Kafka, Cassandra and the registry answer (probed every `intervalMs`
 * in the background, so `/readyz` never waits on a dead socket), and no pipeline step is being
 * retried. `refresh` runs after each round (the partition lag is refreshed there).
 *
 * @example
 *   const health = createReadiness({ probes: { kafka, cassandra, registry }, failingStep });
 *   health.start();
 *   health.readiness(); // { ready: false, checks: { pipeline: { ok: false, detail: "retrying writeTicks" }, … } }
 */
export function createReadiness(options: {
  probes: { kafka: Probe; cassandra: Probe; registry: Probe };
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}): ReadinessWatch {
  return createReadinessWatch({
    ...options,
    checks: () => ({ pipeline: retryingCheck(options.failingStep()) }),
  });
}
