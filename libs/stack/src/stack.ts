import { rmSync } from "node:fs";
import { cluster } from "./cluster/topology.ts";
import { cassandra } from "./components/cassandra.ts";
import { kafka } from "./components/kafka.ts";
import { prometheus } from "./components/prometheus.ts";
import { registry } from "./components/registry.ts";
import type { Component } from "./components/types.ts";
import { stackDir } from "./paths.ts";
import { type Stopped, stackPlace } from "./process.ts";
import { downTopology, type ServerStatus, type Topology, upTopology } from "./topology.ts";

/**
 * Start order; `down` goes the other way. The registry stores its schemas in Cassandra; Prometheus
 * scrapes the services (not the servers) and depends on none of them.
 */
export const components: Component[] = [kafka, cassandra, registry, prometheus];

/** The single-node local stack: one Kafka, one Cassandra, the registry, Prometheus; `.stack/run`, `.stack/logs`. */
export const localStack: Topology = {
  name: "stack",
  servers: components,
  dependsOn: { kafka: [], cassandra: [], registry: ["cassandra"], prometheus: [] },
  place: stackPlace,
};

/**
 * What points a service or a tool at the local stack, with its replication (RF 1, one node).
 *
 * @example
 *   Bun.spawn(["bun", "run", "cql:migrate"], { env: childEnv(localStackEnv) });
 */
export const localStackEnv = {
  KAFKA_BROKERS: kafka.endpoint,
  SCHEMA_REGISTRY_URL: registry.endpoint,
  CASSANDRA_CONTACT_POINTS: cassandra.endpoint,
  CASSANDRA_LOCAL_DC: "datacenter1",
  CASSANDRA_CONSISTENCY: "LOCAL_QUORUM",
  KAFKA_REPLICATION_FACTOR: "1",
  CASSANDRA_REPLICATION: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
};

/** Installs (cached), starts and waits for the given components and what they depend on. */
export function up(selected: Component[] = components): Promise<ServerStatus[]> {
  return upTopology(localStack, selected);
}

/**
 * Stops exactly the processes this stack started (pid files), newest dependency last. Keeps data.
 * `onProgress` hears each signal sent, so a stop that takes long says what it is waiting for.
 */
export function down(
  selected: Component[] = components,
  onProgress?: (line: string) => void,
): Promise<Stopped[]> {
  return downTopology(localStack, selected, onProgress);
}

/**
 * `down` (the cluster's too: its data lives inside `.stack/`), then deletes every byte of local
 * data, logs and generated configuration.
 */
export async function reset(): Promise<void> {
  await down();
  await downTopology(cluster);
  rmSync(stackDir, { recursive: true, force: true });
}
