import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createRegistryKeyspace,
  installRegistry,
  probeRegistry,
  registryBinary,
  registryConfig,
  registryStartAttempts,
} from "../components/registry.ts";
import type { Server } from "../components/types.ts";
import { stackConfig } from "../config.ts";
import { clusterDir } from "../paths.ts";
import { type Place, startDetached } from "../process.ts";
import type { Topology } from "../topology.ts";
import { versions } from "../versions.ts";
import { type CassandraNodeSpec, cassandraNode, NATIVE_PORT } from "./cassandra-node.ts";
import { type KafkaNodeSpec, kafkaNode } from "./kafka-node.ts";

/** The cluster's one data centre (GossipingPropertyFileSnitch); racks are rack1–rack3. */
export const CLUSTER_DC = "dc1";

const {
  STACK_CLUSTER_KAFKA_PORT: kafkaPort,
  STACK_CLUSTER_REGISTRY_PORT: registryPort,
  STACK_CLUSTER_KAFKA_HEAP: kafkaHeap,
  STACK_CLUSTER_CASSANDRA_HEAP: cassandraHeap,
} = stackConfig;

const place: Place = { runDir: join(clusterDir, "run"), logDir: join(clusterDir, "logs") };

const kafkaSpecs: KafkaNodeSpec[] = [1, 2, 3].map((id) => ({
  id,
  port: kafkaPort + id - 1,
  controllerPort: kafkaPort + 100 + id - 1,
}));

/** Murmur3's token range split in three equal parts: the start of each node's third. */
const thirds = [0n, 1n, 2n].map((i) => (-(2n ** 63n) + (i * 2n ** 64n) / 3n).toString());

/**
 * Cassandra nodes on 127.0.0.11–13, not 127.0.0.1–3: the single-node stack already holds
 * 127.0.0.1:9042, and a ring whose nodes used another native port would not work with the Node.js
 * driver, which reaches every node it discovers at one port (`protocolOptions.port`, default 9042).
 */
const cassandraSpecs: CassandraNodeSpec[] = [1, 2, 3].map((id) => ({
  id,
  address: `127.0.0.${10 + id}`,
  rack: `rack${id}`,
  jmxPort: 7210 + id,
  token: thirds[id - 1] as string,
}));

const cassandraEndpoints = cassandraSpecs.map((n) => `${n.address}:${NATIVE_PORT}`);
const replication = `{'class': 'NetworkTopologyStrategy', '${CLUSTER_DC}': 3}`;

/** The AxonOps registry on its own port, its schemas in the cluster's Cassandra (RF 3, LOCAL_QUORUM). */
const clusterRegistry: Server = {
  name: "registry",
  ports: [registryPort],
  endpoint: `http://127.0.0.1:${registryPort}`,
  summary: `schemas in keyspace schema_registry (RF 3) at LOCAL_QUORUM`,
  // Its first start creates 21 tables, each waiting for the three nodes to agree on the schema.
  readyTimeoutMs: 240_000,
  startAttempts: registryStartAttempts,
  stopGraceMs: 10_000,
  installer: "go",
  install: installRegistry,
  async start() {
    await createRegistryKeyspace({
      contactPoints: cassandraEndpoints,
      localDc: CLUSTER_DC,
      replication,
    });
    const conf = join(clusterDir, "conf", "registry");
    mkdirSync(conf, { recursive: true });
    const file = join(conf, "config.yaml");
    writeFileSync(
      file,
      registryConfig({
        port: registryPort,
        hosts: cassandraSpecs.map((n) => n.address),
        cassandraPort: NATIVE_PORT,
        localDc: CLUSTER_DC,
      }),
    );
    startDetached({
      name: "registry",
      command: registryBinary,
      args: ["-config", file],
      version: versions.registry,
      place,
    });
  },
  probe: () => probeRegistry(registryPort),
};

const kafkaNodes = kafkaSpecs.map((spec) =>
  kafkaNode(spec, kafkaSpecs, { heap: kafkaHeap, place }),
);
const cassandraNodes = cassandraSpecs.map((spec) =>
  cassandraNode(
    spec,
    { dc: CLUSTER_DC, seeds: cassandraSpecs.slice(0, 2) },
    { heap: cassandraHeap, place },
  ),
);

/**
 * Three combined KRaft Kafka nodes (127.0.0.1:19092–19094, controllers 19192–19194, one cluster id,
 * a static 3-voter quorum), a Cassandra ring of three nodes on 127.0.0.11–13 (data centre `dc1`,
 * racks rack1–rack3, joined one after another) and a registry on :18081 storing its schemas in that
 * ring. Pid files, logs, data and configuration live in `.stack/cluster/`.
 */
export const cluster: Topology = {
  name: "cluster",
  servers: [...kafkaNodes, ...cassandraNodes, clusterRegistry],
  dependsOn: {
    "cassandra-2": ["cassandra-1"],
    "cassandra-3": ["cassandra-2"],
    registry: cassandraNodes.map((n) => n.name),
  },
  stopConcurrently: true,
  place,
};

/**
 * What points a service or a tool at the cluster, production-shaped: every broker and node as
 * bootstrap and contact points, topics with RF 3 (`min.insync.replicas` 2), the keyspace with
 * NetworkTopologyStrategy RF 3, reads and writes at LOCAL_QUORUM.
 *
 * @example
 *   Bun.spawn(["bun", "run", "schemas:push"], { env: childEnv(clusterEnv) });
 */
export const clusterEnv = {
  KAFKA_BROKERS: kafkaSpecs.map((n) => `127.0.0.1:${n.port}`).join(","),
  SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registryPort}`,
  CASSANDRA_CONTACT_POINTS: cassandraEndpoints.join(","),
  CASSANDRA_LOCAL_DC: CLUSTER_DC,
  CASSANDRA_CONSISTENCY: "LOCAL_QUORUM",
  KAFKA_REPLICATION_FACTOR: "3",
  CASSANDRA_REPLICATION: replication,
} as const;
