import { consumingServiceReadiness, type ReadinessWatch } from "@repo/platform/http";

/**
 * The consumer's readiness: Kafka (the group's consumer), Cassandra (the tick store) and the
 * registry answer, probed every `intervalMs` in the background so `/readyz` never waits on a dead
 * socket, and no step of the runner is being retried. `refresh` runs after each round (the
 * partition lag is refreshed there).
 *
 * @example
 *   const health = createReadiness({ consumer, store, registry, failingStep: runner.failingStep });
 *   health.start();
 *   health.readiness(); // { ready: false, checks: { …, pipeline: { ok: false, detail: "retrying writeTicks" } } }
 */
export function createReadiness(deps: {
  consumer: { ping(timeoutMs: number): Promise<boolean> };
  store: { ping(): Promise<boolean> };
  registry: { ping(): Promise<boolean> };
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}): ReadinessWatch {
  return consumingServiceReadiness({ ...deps, registry: () => deps.registry.ping() });
}
