/**
 * The local stack and the cluster as a library, for tests that control servers themselves (kill a
 * broker mid-stream, bring a Cassandra node back) and tools that need their endpoints.
 *
 * @example
 *   import { cluster, killServers, serverNamed, upTopology } from "@repo/stack";
 *   const broker = serverNamed(cluster, "kafka-2");
 *   await killServers(cluster, [broker]); // kill -9
 *   await upTopology(cluster, [broker]);  // restarted, answering again
 */
export { CLUSTER_DC, cluster, clusterEnv } from "./cluster/topology.ts";
export { localStack, localStackEnv } from "./stack.ts";
export * from "./topology.ts";
