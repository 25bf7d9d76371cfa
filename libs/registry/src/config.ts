import { z } from "@repo/platform/config";

const millis = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(100, "must be at least 100 ms")
    .max(120_000, "must be at most 120000 ms")
    .default(fallback);

/**
 * The registry client's time limits, for a service's configuration module (spread into its env
 * schema, read with {@link registryTimeouts}). Every registry request of the service fails as
 * retriable within `SCHEMA_REGISTRY_TIMEOUT_MS`, whatever the registry does.
 *
 * @example
 *   export const producerEnv = { ...pipelineEnv, ...registryClientEnv };
 */
export const registryClientEnv = {
  /** Longest time one registry request may take in all: queueing, connecting and the answer. */
  SCHEMA_REGISTRY_TIMEOUT_MS: millis(5_000),
  /** Longest time opening a connection to the registry may take (capped at the request timeout). */
  SCHEMA_REGISTRY_CONNECT_TIMEOUT_MS: millis(2_000),
};

/**
 * The client options of a configuration loaded with {@link registryClientEnv}.
 *
 * @example
 *   createSchemaRegistryClient({ ...registryAccess(config), ...registryTimeouts(config) });
 */
export function registryTimeouts(config: {
  SCHEMA_REGISTRY_TIMEOUT_MS: number;
  SCHEMA_REGISTRY_CONNECT_TIMEOUT_MS: number;
}): { timeoutMs: number; connectTimeoutMs: number } {
  return {
    timeoutMs: config.SCHEMA_REGISTRY_TIMEOUT_MS,
    connectTimeoutMs: Math.min(
      config.SCHEMA_REGISTRY_CONNECT_TIMEOUT_MS,
      config.SCHEMA_REGISTRY_TIMEOUT_MS,
    ),
  };
}
