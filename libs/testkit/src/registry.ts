import { stackEnv } from "./env.ts";

/**
 * Deletes (soft, then permanently) every Schema Registry subject whose name starts with `prefix`:
 * the `<topic>-value` subjects `provisionTopics` registered for a test's topics. Returns them.
 *
 * @example
 *   await dropSubjects("prod_k3x9q2."); // ["prod_k3x9q2.market.ticks-value", …]
 */
export async function dropSubjects(prefix: string): Promise<string[]> {
  if (prefix.length === 0) throw new Error("dropSubjects needs a non-empty prefix");
  const subjects = (await registryRequest<string[]>("GET", "/subjects")).filter((subject) =>
    subject.startsWith(prefix),
  );
  for (const subject of subjects) {
    await registryRequest("DELETE", `/subjects/${encodeURIComponent(subject)}`);
    await registryRequest("DELETE", `/subjects/${encodeURIComponent(subject)}?permanent=true`);
  }
  return subjects;
}

/**
 * One request to the stack's Schema Registry REST API (`body` sent as JSON); resolves the parsed
 * answer (undefined when empty) and throws on any status but 2xx, naming method, path and answer.
 *
 * @example
 *   const latest = await registryRequest("GET", `/subjects/${prefix}market.ticks-value/versions/latest`);
 *   await registryRequest("PUT", `/config/${subject}`, { compatibility: "NONE" });
 */
export async function registryRequest<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}${path}`, {
    method,
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text === "" ? undefined : JSON.parse(text)) as T;
}
