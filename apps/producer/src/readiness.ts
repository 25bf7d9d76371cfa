import type { Readiness } from "@repo/platform/http";

/**
 * `GET /readyz`: Kafka answers a metadata request and the registry answers. A lost registry makes
 * the service not ready (operators see it) even though, once warm, the cached schema ids keep
 * producing working. Results are reused for one second.
 *
 * @example
 *   createReadiness({ kafka, registry })(); // { ready: true, checks: { kafka: { ok: true }, registry: { ok: true } } }
 */
export function createReadiness(deps: {
  kafka: { ping(timeoutMs: number): Promise<boolean> };
  registry: { reachable(timeoutMs: number): Promise<boolean>; cachedSchemaIds(): number };
  timeoutMs?: number;
}): () => Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  let last: { at: number; result: Promise<Readiness> } | undefined;
  const check = async (): Promise<Readiness> => {
    const [kafka, registry] = await Promise.all([
      deps.kafka.ping(timeoutMs),
      deps.registry.reachable(timeoutMs),
    ]);
    const cached = deps.registry.cachedSchemaIds();
    const registryOk = registry;
    const registryDetail = registry
      ? "reachable"
      : cached > 0
        ? `unreachable; still producing with ${cached} cached schema ids`
        : "unreachable; no schema id cached yet";
    return {
      ready: kafka && registryOk,
      checks: {
        kafka: { ok: kafka, detail: kafka ? "metadata answered" : "no metadata answer" },
        registry: { ok: registryOk, detail: registryDetail },
      },
    };
  };
  return () => {
    const now = Date.now();
    if (!last || now - last.at > 1_000) last = { at: now, result: check() };
    return last.result;
  };
}
