/**
 * What a real-stack test owns alone: topics, subjects, a migrated keyspace and consumer groups
 * named from one `uniqueId`, and the pipeline (producer and consumer as users run them) on them.
 */
import type cassandra from "cassandra-driver";
import { cassandraClient, provisionKeyspace } from "./cassandra.ts";
import { dropIsolated } from "./cleanup.ts";
import { uniqueId } from "./env.ts";
import { provisionTopics } from "./kafka.ts";
import { buildApp, describeServices, type RunningService, startService } from "./services.ts";

export interface Isolated {
  /** `uniqueId(name)`: every name below starts with it. */
  id: string;
  /** `<id>.`: the services' `TOPIC_PREFIX`, in front of every topic and subject. */
  prefix: string;
  /** The keyspace, migrated from `cql/`. */
  keyspace: string;
  /** `<id>-group`: the consumer's `CONSUMER_GROUP`. */
  group: string;
  /** A client bound to `keyspace`. */
  db: cassandra.Client;
  /**
   * Shuts `db` down and deletes the keyspace, the topics and subjects under `prefix` and `groups`
   * (stop their consumers first: a group with members cannot be deleted). Never throws.
   */
  release(groups: string[]): Promise<void>;
}

/**
 * Creates a test's own topics and subjects (`provisionTopics`) and migrated keyspace, named from
 * `name`; `release` deletes them.
 *
 * @example
 *   const own = await provisionIsolated("cons_bulk");
 *   await startService("consumer", { TOPIC_PREFIX: own.prefix, CASSANDRA_KEYSPACE: own.keyspace });
 *   afterAll(() => own.release([own.group]));
 */
export async function provisionIsolated(name: string): Promise<Isolated> {
  const id = uniqueId(name);
  const prefix = `${id}.`;
  const keyspace = id.replace(/[^a-z0-9_]/g, "_");
  // One after the other: on a loaded machine the registry pushes and Cassandra's schema change
  // compete for the same cores, and a keyspace creation past the driver's 12 s timeout fails a test.
  await provisionTopics(prefix);
  await provisionKeyspace(keyspace);
  const db = await cassandraClient(keyspace);
  return {
    id,
    prefix,
    keyspace,
    group: `${id}-group`,
    db,
    async release(groups) {
      await db.shutdown().catch(() => {});
      await dropIsolated({ prefix, groups, keyspace });
    },
  };
}

export interface Pipeline extends Omit<Isolated, "release"> {
  producer: RunningService;
  consumer: RunningService;
  /** Every service started on the pipeline so far, stopped by `close()` (a test may push its own). */
  services: RunningService[];
  /** The consumer groups `close()` deletes: `group`, and any a test started on these topics. */
  groups: string[];
  /** Another consumer with the first one's variables (`env` on top), e.g. the first restarted. */
  startConsumer(env?: Record<string, string>): Promise<RunningService>;
  startIngest(env: Record<string, string>): Promise<RunningService>;
  /** `/readyz`, `/stats` and the output tail of every service started so far, for failed waits. */
  diagnose(): Promise<string>;
  /** Stops the services, last started first, and deletes what `provisionIsolated` created. */
  close(): Promise<void>;
}

/**
 * Builds and starts producer and consumer on their own topics, keyspace and group; `env` is added
 * to both (e.g. `KAFKA_BROKERS` pointing at a relay), `options.consumer` to the consumer only.
 * Topics are created on the stack's broker.
 *
 * @example
 *   const pipeline = await startPipeline("e2e");
 *   const ingest = await pipeline.startIngest(simulatorEnv({ symbols: ["AAPL"], rate: 50, limit: 200, seed: 7 }));
 *   afterAll(() => pipeline.close());
 */
export async function startPipeline(
  name: string,
  env: Record<string, string> = {},
  options: { consumer?: Record<string, string> } = {},
): Promise<Pipeline> {
  await Promise.all([buildApp("producer"), buildApp("consumer")]);
  const { release, ...own } = await provisionIsolated(name);
  const groups = [own.group];
  const services: RunningService[] = [];
  const started = async (starting: Promise<RunningService>) => {
    const service = await starting;
    services.push(service);
    return service;
  };
  const consumerEnv = {
    TOPIC_PREFIX: own.prefix,
    CASSANDRA_KEYSPACE: own.keyspace,
    CONSUMER_GROUP: own.group,
    ...env,
    ...options.consumer,
  };
  const startConsumer = (extra: Record<string, string> = {}) =>
    started(startService("consumer", { ...consumerEnv, ...extra }, { waitFor: "readyz" }));
  const producer = await started(
    startService("producer", { TOPIC_PREFIX: own.prefix, ...env }, { waitFor: "readyz" }),
  );
  const consumer = await startConsumer();
  return {
    ...own,
    producer,
    consumer,
    services,
    groups,
    startConsumer,
    startIngest: (ingestEnv) =>
      started(
        startService(
          "ingest",
          // Its runs go to the pipeline's keyspace, dropped with it.
          {
            PRODUCER_URL: producer.url,
            INGEST_PROVIDERS: "simulator",
            CASSANDRA_KEYSPACE: own.keyspace,
            ...ingestEnv,
          },
          { waitFor: "readyz" },
        ),
      ),
    diagnose: () => describeServices(services),
    async close() {
      for (const service of [...services].reverse()) await service.stop().catch(() => {});
      await release(groups);
    },
  };
}
