import { consumingServiceReadiness, type ReadinessWatch } from "@repo/platform/http";

/**
 * Analytics readiness: Kafka (the bars consumer), Cassandra and the registry answer, probed every
 * `intervalMs` in the background, and no step of the loop is being retried. `refresh` runs after
 * each round (partition lag, alert rules).
 *
 * @example
 *   const health = createReadiness({ consumer, store, registry, failingStep: runner.failingStep });
 *   health.start();
 */
export function createReadiness(deps: {
  consumer: { ping(timeoutMs: number): Promise<boolean> };
  store: { ping(): Promise<boolean> };
  registry: { reachable(timeoutMs: number): Promise<boolean> };
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}): ReadinessWatch {
  return consumingServiceReadiness({ ...deps, registry: () => deps.registry.reachable(1_500) });
}
