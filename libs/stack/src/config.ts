/**
 * Everything the stack tooling reads from the environment, in one place, validated when first
 * imported: a bad value prints the variable's name and exits 2 (like a service's config). The
 * defaults are the local ports and sizes that work on a developer machine.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { flag, loadConfig, port, z } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";

/** The repository root (this file lives at libs/stack/src/config.ts). */
export const repoRoot = resolve(import.meta.dir, "../../..");

/** A JVM heap size as `-Xmx` takes it: `512m`, `2g`. */
const heap = (fallback: string) =>
  z
    .string()
    .regex(/^\d+[kmgKMG]$/, "must be a JVM heap size such as 512m or 2g")
    .default(fallback);

/** Set when the variable holds a non-empty value: an endpoint that is not the local stack's. */
const external = z
  .string()
  .optional()
  .transform((value) => (value ? value : undefined));

export const stackEnv = {
  /** Data, logs, pid files and generated config of this checkout's stack (git-ignored). */
  STACK_DIR: z.string().min(1).default(join(repoRoot, ".stack")),
  /** Downloads and builds shared by every checkout on this machine. */
  STACK_CACHE_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), ".cache", "marketpipe")),
  /** `1`: `bun run test` and `test:cluster` leave what they started running. */
  STACK_KEEP: flag(false),
  /**
   * Test files `bun run test` runs at once (bun's worker processes). Most of a real-stack test is
   * waiting on servers, so two files overlap well even on two cores; 1 runs them one by one.
   */
  STACK_TEST_PARALLEL: z.coerce.number().int().min(1).max(16).default(2),
  /** The topology commands act on without `--cluster`. */
  STACK_TOPOLOGY: z.enum(["single", "cluster"]).default("single"),
  STACK_KAFKA_PORT: port(9092),
  STACK_KAFKA_CONTROLLER_PORT: port(9093),
  STACK_KAFKA_HEAP: heap("1g"),
  STACK_REGISTRY_PORT: port(8081),
  STACK_CASSANDRA_PORT: port(9042),
  STACK_CASSANDRA_STORAGE_PORT: port(7000),
  STACK_CASSANDRA_JMX_PORT: port(7199),
  /** 2 GiB suits a 2-core, 24 GiB laptop that also runs Kafka, the registry and three services. */
  STACK_CASSANDRA_HEAP: heap("2g"),
  /** Prometheus (Debian's package), scraping every service with the rules in monitoring/. */
  STACK_PROMETHEUS_PORT: port(9090),
  /** First broker port of the cluster (19092–19094; controllers 100 above). */
  STACK_CLUSTER_KAFKA_PORT: port(19092),
  STACK_CLUSTER_REGISTRY_PORT: port(18081),
  /** 384 MiB per broker and 768 MiB per Cassandra node: the whole cluster fits in about 5 GiB. */
  STACK_CLUSTER_KAFKA_HEAP: heap("384m"),
  STACK_CLUSTER_CASSANDRA_HEAP: heap("768m"),
  /** The JDK to run Kafka and Cassandra with; `java` on PATH when unset. */
  JAVA_HOME: external,
  /** `bun run dev` starts no local Kafka, registry or Cassandra when these point elsewhere. */
  KAFKA_BROKERS: external,
  SCHEMA_REGISTRY_URL: external,
  CASSANDRA_CONTACT_POINTS: external,
};

export type StackConfig = ReturnType<typeof loadStackConfig>;

/**
 * The stack's settings from `env`.
 *
 * @example
 *   loadStackConfig({ STACK_KAFKA_PORT: "29092" }).STACK_KAFKA_PORT; // 29092
 */
export function loadStackConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(stackEnv, env);
  return {
    ...config,
    STACK_DIR: resolve(config.STACK_DIR),
    STACK_CACHE_DIR: resolve(config.STACK_CACHE_DIR),
  };
}

/** This process's stack settings. */
export const stackConfig = configOrExit(() => loadStackConfig());

/**
 * The environment of a process the stack starts (a server, a build step, the test runner): this
 * process's own, plus `extra`. Servers and tools need PATH, HOME, JAVA_HOME and the like.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
