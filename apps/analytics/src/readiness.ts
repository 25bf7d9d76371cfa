import {
  createReadinessWatch,
  type Probe,
  type ReadinessWatch,
  retryingCheck,
} from "@repo/platform/http";

/**
 * Analytics readiness: Kafka, Cassandra and the registry answer (probed every `intervalMs` in the
 * background, so `/readyz` never waits on a dead socket) and no step of the loop is being retried.
 * `refresh` runs after each round (partition lag, alert rules).
 *
 * @example
 *   const health = createReadiness({ probes: { kafka, cassandra, registry }, failingStep: runner.failingStep });
 *   health.start();
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
