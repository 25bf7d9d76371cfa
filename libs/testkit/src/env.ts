import { randomBytes } from "node:crypto";

export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081",
  CASSANDRA_CONTACT_POINTS: process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042",
  CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
};

export const brokers = stackEnv.KAFKA_BROKERS.split(",");

/**
 * A short unique name for isolating one test's topics, keyspace and group.
 *
 * @example
 *   const prefix = `${uniqueId("prod")}.`; // "prod_k3x9q2."
 */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** Polls `check` until it returns a non-undefined value or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await Bun.sleep(options.intervalMs ?? 250);
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(
    `${options.message ?? "condition not met"} within ${options.timeoutMs ?? 30_000} ms${reason}`,
  );
}
