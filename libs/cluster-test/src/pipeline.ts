/**
 * An isolated pipeline on a target (the cluster, or the single-node stack to compare with): topics,
 * subjects and keyspace provisioned by the real `schemas:push` and `cql:migrate` with the target's
 * replication from the environment, one producer, consumer replicas sharing one group, optionally
 * the api, and the simulator through ingest.
 */
import { resolve } from "node:path";
import { Admin } from "@platformatic/kafka";
import { createCassandraClient } from "@repo/cassandra";
import { clusterEnv, localStackEnv } from "@repo/stack";
import {
  type ConsumerStats,
  describeServices,
  type RunningService,
  runCommand,
  startService,
  uniqueId,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";

const repoRoot = resolve(import.meta.dir, "../../..");

/** Where a pipeline runs: endpoints, replication and consistency, as environment variables. */
export interface Target {
  name: string;
  env: Record<keyof typeof clusterEnv, string>;
}

export const clusterTarget: Target = { name: "cluster", env: clusterEnv };
export const singleNodeTarget: Target = { name: "single node", env: localStackEnv };

export interface ClusterPipeline {
  target: Target;
  prefix: string;
  keyspace: string;
  group: string;
  /** Bound to the keyspace, all contact points, LOCAL_QUORUM. */
  db: cassandra.Client;
  producer: RunningService;
  consumers: RunningService[];
  api?: RunningService;
  services: RunningService[];
  /** What `schemas:push` and `cql:migrate` printed. */
  provisioning: string;
  startIngest(env: Record<string, string>): Promise<RunningService>;
  /** Starts one more consumer replica in the pipeline's group (added to `consumers`). */
  addConsumer(): Promise<RunningService>;
  /** `/readyz`, `/stats` and output tails of every service, and `more()` if given, for failed waits. */
  diagnose(): Promise<string>;
  /** Stops the services, then drops the keyspace, topics, subjects and group. */
  close(): Promise<void>;
}

/**
 * Provisions and starts a pipeline on `target`: `schemas:push --topic-prefix` and `cql:migrate`
 * as users run them, the producer, `consumers` consumer replicas in one group and, with `api`, the
 * api reading the same keyspace. Services are ready (`/readyz` 200) when it resolves.
 *
 * @example
 *   const pipeline = await startClusterPipeline("failover", clusterTarget, { consumers: 2 });
 *   const ingest = await pipeline.startIngest({ SIMULATOR_RATE: "100", SIMULATOR_LIMIT: "6000" });
 */
export async function startClusterPipeline(
  name: string,
  target: Target,
  options: { consumers: number; api?: boolean; more?: () => Promise<string> },
): Promise<ClusterPipeline> {
  const id = uniqueId(name);
  const prefix = `${id}.`;
  const group = `${id}-group`;
  const provisioning = [
    await runTool(["schemas:push", "--topic-prefix", prefix], target.env),
    await runTool(["cql:migrate"], { ...target.env, CASSANDRA_KEYSPACE: id }),
  ].join("");
  const db = createCassandraClient(cassandraSettings(target), { keyspace: id });
  await db.connect();
  const services: RunningService[] = [];
  const diagnose = async () =>
    [await describeServices(services), options.more ? await options.more() : ""].join("\n");
  const close = async () => {
    for (const service of services) await service.stop().catch(() => {});
    await db.shutdown().catch(() => {});
    await dropProvisioned(target, { prefix, group, keyspace: id });
  };
  try {
    const start = async (service: "producer" | "consumer" | "api", env: Record<string, string>) => {
      const running = await startService(service, { ...target.env, ...env }, { waitFor: "readyz" });
      services.push(running);
      return running;
    };
    const producer = await start("producer", { TOPIC_PREFIX: prefix });
    const consumers: RunningService[] = [];
    const addConsumer = async () => {
      const consumer = await start("consumer", {
        TOPIC_PREFIX: prefix,
        CASSANDRA_KEYSPACE: id,
        CONSUMER_GROUP: group,
      });
      consumers.push(consumer);
      return consumer;
    };
    for (let i = 0; i < options.consumers; i++) await addConsumer();
    const api = options.api
      ? await start("api", {
          CASSANDRA_KEYSPACE: id,
          PRODUCER_URL: producer.url,
          CONSUMER_URL: consumers[0]?.url ?? producer.url,
        })
      : undefined;
    return {
      target,
      prefix,
      keyspace: id,
      group,
      db,
      producer,
      consumers,
      api,
      services,
      provisioning,
      addConsumer,
      async startIngest(env) {
        const ingest = await startService(
          "ingest",
          { ...target.env, PRODUCER_URL: producer.url, INGEST_PROVIDERS: "simulator", ...env },
          { waitFor: "readyz" },
        );
        services.push(ingest);
        return ingest;
      },
      diagnose,
      close,
    };
  } catch (error) {
    const report = await diagnose().catch(() => "");
    await close();
    throw new Error(`${(error as Error).message}\n${report}`);
  }
}

/** The target's contact points and data centre, as `createCassandraClient` takes them. */
export function cassandraSettings(target: Target) {
  return {
    CASSANDRA_CONTACT_POINTS: target.env.CASSANDRA_CONTACT_POINTS.split(","),
    CASSANDRA_LOCAL_DC: target.env.CASSANDRA_LOCAL_DC,
  };
}

/** A Kafka admin client on the target's brokers; close it. */
export function adminOf(target: Target): Admin {
  return new Admin({
    clientId: "cluster-test",
    bootstrapBrokers: target.env.KAFKA_BROKERS.split(","),
    requestTimeout: 5_000,
  });
}

/** `bun run <script> …` in the repository with `env` on top; its output, or an error with it. */
async function runTool(args: string[], env: Record<string, string>): Promise<string> {
  const run = await runCommand(["bun", "run", "--silent", ...args], { cwd: repoRoot, env });
  if (run.code !== 0)
    throw new Error(`bun run ${args.join(" ")} exited ${run.code}:\n${run.output}`);
  return run.stdout;
}

/** Best effort, warnings only: the keyspace, the topics and subjects under `prefix`, the group. */
async function dropProvisioned(
  target: Target,
  what: { prefix: string; group: string; keyspace: string },
): Promise<void> {
  const db = createCassandraClient(cassandraSettings(target));
  await db
    .connect()
    .then(() => db.execute(`DROP KEYSPACE IF EXISTS ${what.keyspace}`))
    .catch((error: Error) => console.warn(`could not drop ${what.keyspace}: ${error.message}`))
    .finally(() => db.shutdown().catch(() => {}));
  const admin = adminOf(target);
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(what.prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    if ((await admin.listGroups()).has(what.group))
      await admin.deleteGroups({ groups: [what.group] });
  } catch (error) {
    console.warn(
      `could not delete the topics or group of ${what.prefix}: ${(error as Error).message}`,
    );
  } finally {
    await admin.close().catch(() => {});
  }
  const registry = target.env.SCHEMA_REGISTRY_URL;
  try {
    const subjects = (await (await fetch(`${registry}/subjects`)).json()) as string[];
    for (const subject of subjects.filter((s) => s.startsWith(what.prefix))) {
      const url = `${registry}/subjects/${encodeURIComponent(subject)}`;
      await fetch(url, { method: "DELETE" });
      await fetch(`${url}?permanent=true`, { method: "DELETE" });
    }
  } catch (error) {
    console.warn(`could not delete the subjects of ${what.prefix}: ${(error as Error).message}`);
  }
}

/** Ticks written by all consumer replicas so far. */
export async function writtenByConsumers(consumers: RunningService[]): Promise<number> {
  const stats = await Promise.all(consumers.map((c) => c.json<ConsumerStats>("/stats")));
  return stats.reduce((sum, s) => sum + s.records.written, 0);
}
