/**
 * Kafka goes away mid-stream (the stack CLI stops the broker for ~15 s) while the simulator keeps
 * producing: services report not-ready, ingest buffers, and when Kafka returns everything drains by
 * itself — every forwarded tick is exactly one row, bars still equal their ticks.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { eventually } from "@repo/testkit";
import {
  consumerCaughtUp,
  type IngestStats,
  ingestSettled,
  type Pipeline,
  startPipeline,
  storedOutcome,
} from "./pipeline.ts";

const repoRoot = resolve(import.meta.dir, "../../..");
const stack = (...args: string[]) => {
  const run = spawnSync("bun", ["libs/stack/src/cli.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (run.status !== 0)
    throw new Error(`stack ${args.join(" ")} failed: ${run.stderr}${run.stdout}`);
};
const TICK_LIMIT = 3_000; // 30 s at 100 ticks/s

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("outage");
}, 180_000);
afterAll(async () => {
  stack("up", "kafka");
  await pipeline?.close();
});

test("a Kafka outage mid-stream loses and duplicates nothing, and every service recovers by itself", async () => {
  const ingest = await pipeline.startIngest({
    SIMULATOR_SYMBOLS: "AAPL,MSFT,GOOG,AMZN",
    SIMULATOR_RATE: "100",
    SIMULATOR_LIMIT: String(TICK_LIMIT),
    SIMULATOR_CRON: "* * * * * *",
    SIMULATOR_SEED: "7",
  });
  await eventually(
    async () =>
      (await ingest.json<IngestStats>("/stats")).records.forwarded >= 500 ? true : undefined,
    { timeoutMs: 60_000, message: "ingest did not start forwarding" },
  );

  stack("down", "kafka");
  try {
    for (const service of [pipeline.producer, pipeline.consumer]) {
      await eventually(
        async () => ((await fetch(`${service.url}/readyz`)).status === 503 ? true : undefined),
        { timeoutMs: 30_000, message: `${service.name} did not report not-ready without Kafka` },
      );
    }
    await Bun.sleep(10_000);
  } finally {
    stack("up", "kafka");
  }
  for (const service of [pipeline.producer, pipeline.consumer]) {
    await eventually(async () => ((await fetch(`${service.url}/readyz`)).ok ? true : undefined), {
      timeoutMs: 90_000,
      message: `${service.name} did not become ready after Kafka returned`,
    });
  }

  const ingestStats = await ingestSettled(ingest, TICK_LIMIT, 180_000);
  expect(ingestStats.records.dropped).toBe(0);
  const forwarded = ingestStats.records.forwarded;
  expect(forwarded).toBeGreaterThan(TICK_LIMIT * 0.95);
  await consumerCaughtUp(pipeline.consumer, forwarded, 180_000);

  const stored = await storedOutcome(pipeline.db);
  console.log(
    `outage: ${forwarded} ticks forwarded around a Kafka restart, ${stored.rows} rows, ${stored.bars} bars`,
  );
  expect(stored.rows).toBe(forwarded);
  expect(stored.mismatchedBars).toEqual([]);
  expect(stored.missingBars).toEqual([]);
  expect(stored.staleLatest).toEqual([]);
}, 420_000);
