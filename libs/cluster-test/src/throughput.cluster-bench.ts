/**
 * Throughput of the same pipeline on the single-node stack and on the cluster, measured one after
 * the other in one run, in two halves so each side of Kafka is measured on its own:
 *
 * - produce: the simulator offers BENCH_RATE ticks/s for BENCH_SECONDS through ingest and the
 *   producer (idempotent, acks=all: on the cluster two in-sync replicas must have each record);
 *   ticks/s is every tick acknowledged divided by the time until the last one was;
 * - consume: then two consumer replicas in one group start on the full topic and write it to
 *   Cassandra (LOCAL_QUORUM: on the cluster two of three replicas); rows/s is from their first
 *   written row to lag 0.
 *
 *   bun run test:cluster --bench                    # BENCH_RATE=6000 BENCH_SECONDS=10
 */
import { expect, test } from "bun:test";
import { loadavg } from "node:os";
import { consumersCaughtUp, eventually, simulateBenchLoad, simulatorLoad } from "@repo/testkit";
import cassandra from "cassandra-driver";
import { describeCluster } from "./cluster.ts";
import {
  clusterTarget,
  singleNodeTarget,
  startClusterPipeline,
  type Target,
  writtenByConsumers,
} from "./pipeline.ts";

const { rate, seconds, limit } = simulatorLoad({ rate: 6000, seconds: 10 });

interface Measured {
  target: string;
  producedPerSecond: number;
  rowsPerSecond: number;
  load: string;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function measure(target: Target): Promise<Measured> {
  const pipeline = await startClusterPipeline("bench", target, { consumers: 0 });
  try {
    const started = performance.now();
    const { ingest, ingested } = await simulateBenchLoad(pipeline, { rate, seconds });
    const produced = ingested.records.forwarded;
    const producedPerSecond = perSecond(produced, performance.now() - started);
    await ingest.stop();

    await Promise.all([pipeline.addConsumer(), pipeline.addConsumer()]);
    const first = await eventually(
      async () => {
        const written = await writtenByConsumers(pipeline.consumers);
        return written > 0 ? { at: performance.now(), written } : undefined;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 50,
        message: "the consumers wrote nothing",
        diagnose: pipeline.diagnose,
      },
    );
    await consumersCaughtUp(pipeline.consumers, produced, {
      timeoutMs: 600_000,
      diagnose: pipeline.diagnose,
    });
    const rowsPerSecond = perSecond(produced - first.written, performance.now() - first.at);
    const rows = await eventually(
      async () => {
        let count = 0;
        const result = await pipeline.db.execute("SELECT symbol FROM ticks", [], {
          fetchSize: 5_000,
          consistency: cassandra.types.consistencies.localQuorum,
        });
        for await (const _ of result) count += 1;
        return count;
      },
      {
        timeoutMs: 60_000,
        message: "the ticks table could not be read",
        diagnose: pipeline.diagnose,
      },
    );
    expect(rows).toBe(produced);
    const measured = { target: target.name, producedPerSecond, rowsPerSecond, load: load() };
    console.log(
      `${target.name}: ${produced.toLocaleString("en-US")} ticks produced at ${producedPerSecond.toLocaleString("en-US")}/s, ` +
        `written at ${rowsPerSecond.toLocaleString("en-US")} rows/s by 2 consumers (load average ${measured.load})`,
    );
    return measured;
  } finally {
    await pipeline.close();
  }
}

test(`throughput of ${limit.toLocaleString("en-US")} ticks offered at ${rate}/s: single node, then the cluster (RF 3, acks=all, LOCAL_QUORUM)`, async () => {
  const results = [await measure(singleNodeTarget), await measure(clusterTarget)];
  console.log(`\n${await describeCluster()}`);
  console.log(
    `\n| | ingest → producer → Kafka (ticks/s) | Kafka → 2 consumers → Cassandra (rows/s) | load average |\n|---|---|---|---|\n${results
      .map(
        (r) =>
          `| ${r.target} | ${r.producedPerSecond.toLocaleString("en-US")} | ${r.rowsPerSecond.toLocaleString("en-US")} | ${r.load} |`,
      )
      .join("\n")}`,
  );
}, 1_800_000);
