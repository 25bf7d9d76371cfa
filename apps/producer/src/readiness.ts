import { createReadinessWatch, type ReadinessWatch } from "@repo/platform/http";

/**
 * `GET /readyz`: Kafka answers a metadata request and the registry answers, probed every second in
 * the background. A lost registry makes the service not ready (operators see it) even though, once
 * warm, the cached schema ids keep producing working.
 *
 * @example
 *   const health = createReadiness({ kafka, registry });
 *   health.start();
 *   health.readiness(); // { ready: true, checks: { kafka: { ok: true, … }, registry: { ok: true, … } } }
 */
export function createReadiness(deps: {
  kafka: { ping(timeoutMs: number): Promise<boolean> };
  registry: { reachable(timeoutMs: number): Promise<boolean>; cachedSchemaIds(): number };
  timeoutMs?: number;
}): ReadinessWatch {
  return createReadinessWatch({
    timeoutMs: deps.timeoutMs ?? 2_000,
    probes: {
      kafka: async (timeoutMs) =>
        (await deps.kafka.ping(timeoutMs))
          ? { ok: true, detail: "metadata answered" }
          : { ok: false, detail: "no metadata answer" },
      registry: async (timeoutMs) => {
        if (await deps.registry.reachable(timeoutMs)) return { ok: true, detail: "reachable" };
        const cached = deps.registry.cachedSchemaIds();
        return {
          ok: false,
          detail:
            cached > 0
              ? `unreachable; still producing with ${cached} cached schema ids`
              : "unreachable; no schema id cached yet",
        };
      },
    },
  });
}
