#!/usr/bin/env bun
/**
 * Analytics benchmark on the local stack (isolated topics and keyspace, loopback only, bounded):
 *
 * 1. Indicator updates per second: BENCH_BARS 1-minute bars (BENCH_SYMBOLS symbols, one session
 *    each) produced onto the bars topic, then analytics started with the default indicators; the
 *    rate is indicator rows written (1m and rollups) per second from the first bar consumed to lag 0.
 * 2. Alert latency: producer, consumer and analytics running; per symbol a price-cross rule, a trade
 *    below the level (arms it), then a trade above it posted to the producer; latency is from the
 *    producer's 200 (Kafka acknowledged the trade) to the alert read on `GET /v1/alerts/stream`,
 *    one alert at a time (BENCH_ALERTS of them).
 *
 *   bun run stack up && bun run bench:analytics      # BENCH_BARS=20000 BENCH_SYMBOLS=20 BENCH_ALERTS=40
 */
import { type Bar, formatTimestamp } from "@repo/contracts";
import { loadConfig, z } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";
import { startService } from "@repo/testkit";
import { quantile } from "@repo/testkit/proc";
import { analyticsScenario, caughtUp, stats, waitFor } from "../src/e2e/harness.ts";

/** What the benchmark reads; a bad value exits 2 naming it. */
const config = configOrExit(() =>
  loadConfig({
    BENCH_BARS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    BENCH_SYMBOLS: z.coerce.number().int().min(1).max(1_000_000).default(20),
    BENCH_ALERTS: z.coerce.number().int().min(1).max(200).default(40),
  }),
);
const BARS = config.BENCH_BARS;
const SYMBOLS = config.BENCH_SYMBOLS;
const ALERTS = config.BENCH_ALERTS;
const TOKEN = "bench-operator-token-0123456789";
const MINUTE = 60_000_000;

const s = await analyticsScenario("an_bench");
try {
  // 1. Indicator updates per second.
  const day = (Math.floor(Date.now() / 86_400_000) - 3) * 86_400_000_000;
  const perSymbol = Math.ceil(BARS / SYMBOLS);
  if (perSymbol > 1440)
    throw new Error("BENCH_BARS / BENCH_SYMBOLS must be at most 1440 (one session each)");
  const bars: Bar[] = [];
  for (let k = 0; k < SYMBOLS && bars.length < BARS; k += 1) {
    let price = 100_000_000 + k * 1_000_000;
    for (let i = 0; i < perSymbol && bars.length < BARS; i += 1) {
      price += ((i * 7919 + k * 31) % 200_001) - 100_000;
      const text = (price / 1e6).toFixed(6);
      bars.push({
        symbol: `BN${String(k).padStart(3, "0")}`,
        start: day + i * MINUTE,
        end: day + (i + 1) * MINUTE,
        open: text,
        high: text,
        low: text,
        close: text,
        volume: 100 + (i % 50),
        vwap: text,
        trades: 1 + (i % 9),
      });
    }
  }
  await s.produceBars(bars);
  const analytics = await s.startAnalytics({ API_OPERATOR_TOKENS: `bench:${TOKEN}` });
  let firstAt: number | undefined;
  await waitFor(
    "analytics started consuming",
    async () => {
      const now = await stats(analytics);
      if (now.bars.consumed > 0) firstAt = performance.now();
      return firstAt;
    },
    120_000,
    [analytics],
  );
  const done = await caughtUp(analytics, bars.length, 600_000);
  const seconds = (performance.now() - (firstAt as number)) / 1000;
  console.log(
    `indicators: ${bars.length.toLocaleString("en-US")} bars of ${SYMBOLS} symbols → ${done.indicators.written.toLocaleString("en-US")} indicator rows ` +
      `(default indicators × 1m/5m/15m/1h) in ${seconds.toFixed(1)} s: ${Math.round(done.indicators.written / seconds).toLocaleString("en-US")} indicator updates/s, ` +
      `${Math.round(bars.length / seconds).toLocaleString("en-US")} bars/s; batch p50 ${done.latency.batchMs.p50} ms, p99 ${done.latency.batchMs.p99} ms`,
  );

  // 2. Alert latency: trade acknowledged by the producer → alert on the SSE stream.
  const producer = await startService("producer", s.env);
  const consumer = await s.startConsumer();
  try {
    const symbols = Array.from({ length: ALERTS }, (_, i) => `AL${String(i).padStart(3, "0")}`);
    for (const symbol of symbols) {
      const response = await fetch(`${analytics.url}/v1/alerts/rules`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          symbol,
          condition: { kind: "price_cross", level: "100", direction: "up", hysteresis: "0.5" },
        }),
      });
      if (response.status !== 201)
        throw new Error(`rule refused: ${response.status} ${await response.text()}`);
    }
    const alerts = new Map<string, number>();
    const stream = await fetch(`${analytics.url}/v1/alerts/stream`);
    void (async () => {
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += decoder.decode(value, { stream: true });
        for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (block.includes("event: alert") && data)
            alerts.set((JSON.parse(data) as { symbol: string }).symbol, performance.now());
        }
      }
    })().catch(() => {});
    let sequence = 0;
    const trade = (symbol: string, price: string) => ({
      source: "bench",
      symbol,
      kind: "TRADE",
      eventTime: formatTimestamp(Date.now() * 1000),
      sequence: sequence++,
      price,
      size: 10,
      ingestTime: formatTimestamp(Date.now() * 1000),
    });
    const post = async (values: unknown[]) => {
      const response = await fetch(`${producer.url}/v1/topics/market.ticks/records`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ records: values.map((value) => ({ value })) }),
      });
      if (response.status !== 200)
        throw new Error(`producer answered ${response.status}: ${await response.text()}`);
    };
    const before = (await stats(analytics)).bars.consumed;
    await post(symbols.map((symbol) => trade(symbol, "99")));
    await waitFor(
      "the arming trades' bars evaluated",
      async () =>
        (await stats(analytics)).bars.consumed >= before + symbols.length ? true : undefined,
      60_000,
      [analytics, consumer],
    );
    const latencies: number[] = [];
    for (const symbol of symbols) {
      await post([trade(symbol, "101")]);
      const acknowledged = performance.now();
      const seen = await waitFor(`the alert of ${symbol}`, async () => alerts.get(symbol), 30_000, [
        analytics,
        consumer,
      ]);
      latencies.push(seen - acknowledged);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `alerts: ${latencies.length} price crosses, trade acknowledged by the producer → alert on the SSE stream: ` +
        `p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms`,
    );
    await stream.body?.cancel().catch(() => {});
  } finally {
    await producer.stop().catch(() => {});
    await consumer.stop().catch(() => {});
  }
} finally {
  await s.close();
}
