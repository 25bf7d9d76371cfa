#!/usr/bin/env bun
/**
 * Pipeline benchmark on the local stack: the simulator at BENCH_RATE ticks/s for BENCH_SECONDS
 * (bounded by SIMULATOR_LIMIT), through ingest → producer → Kafka → consumer → Cassandra, on
 * isolated topics and keyspace. Prints sustained throughput per stage and latency percentiles.
 *
 *   bun run stack up && bun libs/e2e/bench/pipeline.ts        # BENCH_RATE=2000 BENCH_SECONDS=20
 */
import { consumerCaughtUp, simulateBenchLoad, simulatorLoad, startPipeline } from "@repo/testkit";

const { rate, seconds, limit } = simulatorLoad({ rate: 2000, seconds: 20 });

const pipeline = await startPipeline("bench");
try {
  const started = performance.now();
  const { ingest, ingested } = await simulateBenchLoad(pipeline, { rate, seconds });
  const forwardedAt = performance.now();
  const consumer = await consumerCaughtUp(pipeline.consumer, ingested.records.forwarded, {
    timeoutMs: 600_000,
    diagnose: pipeline.diagnose,
  });
  const doneAt = performance.now();
  const producer = await pipeline.producer.json<{
    records: { delivered: number };
    deliveryLatencyMs: { p50: number; p99: number };
    requestLatencyMs: { p50: number; p99: number };
  }>("/stats");
  const consumerStats = await pipeline.consumer.json<{
    batches: { count: number; p50Ms: number; p99Ms: number };
  }>("/stats");
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");
  console.log(`simulated ${limit.toLocaleString("en-US")} ticks at ${rate}/s over ${seconds} s`);
  console.log(
    `ingest → producer: ${ingested.records.forwarded.toLocaleString("en-US")} forwarded in ${s(forwardedAt - started)} s ` +
      `(${perSecond(ingested.records.forwarded, forwardedAt - started)}/s), dropped ${ingested.records.dropped}`,
  );
  console.log(
    `producer: ${producer.records.delivered.toLocaleString("en-US")} delivered; request p50 ${producer.requestLatencyMs.p50} ms, ` +
      `p99 ${producer.requestLatencyMs.p99} ms; Kafka ack p50 ${producer.deliveryLatencyMs.p50} ms, p99 ${producer.deliveryLatencyMs.p99} ms`,
  );
  console.log(
    `consumer: ${consumer.records.written.toLocaleString("en-US")} written, lag 0 after ${s(doneAt - started)} s ` +
      `(${perSecond(consumer.records.written, doneAt - started)} rows/s end to end); ` +
      `${consumerStats.batches.count} batches, p50 ${consumerStats.batches.p50Ms} ms, p99 ${consumerStats.batches.p99Ms} ms`,
  );
  await ingest.stop();
} finally {
  await pipeline.close();
}
