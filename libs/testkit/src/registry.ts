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
  const subjects = ((await call("GET", "/subjects")) as string[]).filter((subject) =>
    subject.startsWith(prefix),
  );
  for (const subject of subjects) {
    await call("DELETE", `/subjects/${encodeURIComponent(subject)}`);
    await call("DELETE", `/subjects/${encodeURIComponent(subject)}?permanent=true`);
  }
  return subjects;
}

async function call(method: string, path: string): Promise<unknown> {
  const response = await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}${path}`, {
    method,
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${body.slice(0, 200)}`);
  return body === "" ? undefined : JSON.parse(body);
}
