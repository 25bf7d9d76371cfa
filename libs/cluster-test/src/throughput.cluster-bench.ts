/**
 * Throughput of the same pipeline on the single-node stack and on the cluster, measured one after
 * the other in one run: the simulator offers BENCH_RATE ticks/s for BENCH_SECONDS (more than either
 * can store, so the consumers are the limit), two consumer replicas in one group write them, and
 * rows/s is every tick stored divided by the time from the first tick to lag 0.
 *
 *   bun run test:cluster --bench                    # BENCH_RATE=3000 BENCH_SECONDS=10
 */
import { expect, test } from "bun:test";
import { loadavg } from "node:os";
import { describeServices, eventually } from "@repo/testkit";
import cassandra from "cassandra-driver";
import { describeCluster } from "./cluster.ts";
import {
  clusterTarget,
  consumersCaughtUp,
  ingestSettled,
  singleNodeTarget,
  startClusterPipeline,
  type Target,
} from "./pipeline.ts";

const rate = Number(process.env.BENCH_RATE ?? 3000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const limit = rate * seconds;

interface Measured {
  target: string;
  rowsPerSecond: number;
  forwardedPerSecond: number;
  seconds: number;
}

const results: Measured[] = [];

async function measure(target: Target): Promise<Measured> {
  const pipeline = await startClusterPipeline("bench", target, { consumers: 2 });
  try {
    const started = performance.now();
    const ingest = await pipeline.startIngest({
      SIMULATOR_SYMBOLS: "AAPL,MSFT,GOOG,AMZN,NVDA,META,TSLA,AMD,INTC,ORCL,IBM,CSCO",
      SIMULATOR_RATE: String(rate),
      SIMULATOR_LIMIT: String(limit),
      SIMULATOR_CRON: "* * * * * *",
      SIMULATOR_SEED: "1",
    });
    const ingested = await ingestSettled(ingest, limit, {
      timeoutMs: (seconds + 300) * 1000,
      diagnose: pipeline.diagnose,
    });
    const forwardedAt = performance.now();
    await consumersCaughtUp(pipeline.consumers, ingested.records.forwarded, {
      timeoutMs: 600_000,
      diagnose: pipeline.diagnose,
    });
    const doneAt = performance.now();
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
    expect(rows).toBe(ingested.records.forwarded);
    const measured = {
      target: target.name,
      rowsPerSecond: Math.round(rows / ((doneAt - started) / 1000)),
      forwardedPerSecond: Math.round(ingested.records.forwarded / ((forwardedAt - started) / 1000)),
      seconds: (doneAt - started) / 1000,
    };
    console.log(
      `${target.name}: ${rows.toLocaleString("en-US")} rows in ${measured.seconds.toFixed(1)} s = ` +
        `${measured.rowsPerSecond.toLocaleString("en-US")} rows/s end to end ` +
        `(ingest → producer ${measured.forwardedPerSecond.toLocaleString("en-US")}/s; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")})`,
    );
    await ingest.stop();
    return measured;
  } catch (error) {
    console.error(await describeServices(pipeline.services).catch(() => ""));
    throw error;
  } finally {
    await pipeline.close();
  }
}

test(`throughput at ${rate} ticks/s offered for ${seconds} s: single node, then the cluster (RF 3, LOCAL_QUORUM, acks=all)`, async () => {
  results.push(await measure(singleNodeTarget));
  results.push(await measure(clusterTarget));
  console.log(`\n${await describeCluster()}`);
  console.log(
    `\n| target | rows/s end to end | ingest → producer/s |\n|---|---|---|\n${results
      .map(
        (r) =>
          `| ${r.target} | ${r.rowsPerSecond.toLocaleString("en-US")} | ${r.forwardedPerSecond.toLocaleString("en-US")} |`,
      )
      .join("\n")}`,
  );
}, 1_800_000);
