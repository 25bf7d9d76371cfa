/**
 * Throughput of a running producer on loopback: POSTs BENCH_REQUESTS batches of BENCH_BATCH ticks with
 * BENCH_CONCURRENCY requests in flight (stopping after BENCH_MAX_SECONDS), then prints records/s and
 * request latency percentiles.
 *
 * @example
 *   PRODUCER_URL=http://127.0.0.1:3002 BENCH_REQUESTS=200 BENCH_BATCH=1000 bun apps/producer/bench/produce.ts
 */
import { loadConfig, positiveInt, z } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";

/** What the benchmark reads; a bad value exits 2 naming it. */
const config = configOrExit(() =>
  loadConfig({
    PRODUCER_URL: z.url().default("http://127.0.0.1:3002"),
    BENCH_TOPIC: z.string().min(1).default("market.ticks"),
    BENCH_REQUESTS: positiveInt(200),
    BENCH_BATCH: positiveInt(1000),
    BENCH_CONCURRENCY: positiveInt(8),
    BENCH_MAX_SECONDS: positiveInt(60),
  }),
);
const url = config.PRODUCER_URL;
const topic = config.BENCH_TOPIC;
const requests = config.BENCH_REQUESTS;
const batch = config.BENCH_BATCH;
const concurrency = config.BENCH_CONCURRENCY;
const deadline = Date.now() + config.BENCH_MAX_SECONDS * 1000;
const symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "BRK.B", "JPM", "V"];

function body(request: number): string {
  const start = Date.now() * 1000;
  const records = Array.from({ length: batch }, (_, i) => {
    const sequence = request * batch + i;
    const at = new Date(Math.floor((start + sequence) / 1000)).toISOString();
    return {
      value: {
        source: "bench",
        symbol: symbols[sequence % symbols.length],
        kind: "TRADE",
        eventTime: at,
        sequence,
        price: `${100 + (sequence % 100)}.${String(sequence % 1_000_000).padStart(6, "0")}`,
        size: 1 + (sequence % 1000),
        ingestTime: at,
      },
    };
  });
  return JSON.stringify({ records });
}

const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
let delivered = 0;

async function worker() {
  while (next < requests && Date.now() < deadline) {
    const payload = body(next++);
    const started = performance.now();
    const response = await fetch(`${url}/v1/topics/${topic}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: payload,
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    if (response.ok) delivered += batch;
  }
}

const began = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - began) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  (latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? 0).toFixed(1);
console.log(
  JSON.stringify({
    requests: latencies.length,
    batch,
    concurrency,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(delivered / seconds),
    latencyMs: { p50: Number(at(0.5)), p99: Number(at(0.99)) },
    statuses: Object.fromEntries(statuses),
  }),
);
