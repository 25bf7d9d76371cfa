/**
 * What a cluster test asks the cluster itself: which servers run, where partition leaders and
 * in-sync replicas are, which Cassandra nodes a driver sees up. Separate from the pipeline's services.
 */
import type { Admin } from "@platformatic/kafka";
import { cluster, statusOf } from "@repo/stack";
import type cassandra from "cassandra-driver";

export interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Leader, replicas and ISR of every partition of `topics`, fresh from the brokers. */
export async function partitionStates(admin: Admin, topics: string[]): Promise<PartitionState[]> {
  const metadata = await admin.metadata({ topics, forceUpdate: true });
  const states: PartitionState[] = [];
  for (const [topic, described] of metadata.topics) {
    described.partitions.forEach((p, partition) => {
      states.push({ topic, partition, leader: p.leader, replicas: p.replicas, isr: p.isr });
    });
  }
  return states;
}

/** "t.market.ticks/0 leader 2 isr [2,1,3]", one line per partition. */
export function describePartitions(states: PartitionState[]): string {
  return states
    .map((s) => `${s.topic}/${s.partition} leader ${s.leader} isr [${s.isr.join(",")}]`)
    .join("\n");
}

/** Cassandra nodes as the driver sees them: address → up. */
export function hostsSeen(db: cassandra.Client): Map<string, boolean> {
  return new Map(db.hosts.values().map((host) => [host.address, host.isUp()]));
}

/** Each cluster server's state and memory, for a failed wait's report. */
export async function describeCluster(): Promise<string> {
  const rows = await statusOf(cluster);
  return [
    "--- cluster ---",
    ...rows.map(
      (r) =>
        `${r.name} ${r.up ? "up" : "down"} ${r.endpoint}${r.pid ? ` pid ${r.pid}` : ""}${r.rssMiB ? ` ${r.rssMiB} MiB` : ""}${r.detail ? ` (${r.detail})` : ""}`,
    ),
  ].join("\n");
}

/** Resident memory of the cluster's processes, in MiB (servers that run). */
export async function clusterRss(): Promise<{ total: number; each: string }> {
  const rows = (await statusOf(cluster)).filter((r) => r.rssMiB !== undefined);
  return {
    total: rows.reduce((sum, r) => sum + (r.rssMiB ?? 0), 0),
    each: rows.map((r) => `${r.name} ${r.rssMiB}`).join(", "),
  };
}
