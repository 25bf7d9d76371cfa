#!/usr/bin/env bun
/**
 * Backfill-under-load benchmark on the local stack: while ingest's simulator streams "today"
 * (BENCH_STREAM_SYMBOLS symbols at BENCH_STREAM_RATE ticks/s), `bun run backfill` loads one full
 * past regular session (the most recent one before today, 09:30–16:00 New York) of
 * BENCH_BACKFILL_SYMBOLS symbols from the loopback Alpaca stand-in (apps/ingest's fake-alpaca,
 * seeded with BENCH_BACKFILL_TRADES_PER_MINUTE trades and BENCH_BACKFILL_QUOTES_PER_MINUTE quotes
 * per symbol and minute) through the same producer. Every second it samples the consumer's
 * `/stats` and RSS and the producer's `/stats`; it prints the backfill's rate, the consumer's drain
 * rate, the simulator's ticks' latency (ingestTime → Cassandra write time, read back from the
 * rows) before, during and after the backfill, the largest lag and how soon it came back, the
 * minutes read back (`bars.rebuilt`) and the consumer's peak and final RSS. It then checks that
 * every backfilled trade and quote is stored once and that every backfilled bar equals its stored
 * trades, and exits 1 otherwise.
 *
 * Loopback only, isolated topics, keyspace and group (dropped at the end with every process it
 * started, also on failure), bounded by BENCH_TIMEOUT_SECONDS.
 *
 *   bun run stack up && bun run bench:backfill   # 10 symbols × 390 minutes × (150 trades + 50 quotes)
 *
 * The stand-in runs in its own process (`backfill-history.ts`); the settings and symbol sets are in
 * `backfill-plan.ts`, the read-back checks in `backfill-checks.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IngestStats, simulatorEnv, startPipeline } from "@repo/testkit";
import { cpuSecondsOf, quantile, rssOf } from "@repo/testkit/proc";
import { checkStored, streamedLatency } from "./backfill-checks.ts";
import {
  backfillSymbols,
  config,
  session,
  sessionMinutes,
  streamSymbols,
} from "./backfill-plan.ts";
import {
  type BackfillProcess,
  type HeldHistoryProcess,
  spawnBackfill,
  startHeldHistory,
} from "./backfill-processes.ts";
import { createSampler, type Sample } from "./backfill-sampler.ts";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => (ms / 1000).toFixed(1);

const aborted = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => aborted.abort(new Error(`interrupted by ${signal}`)));
const deadline = Date.now() + config.BENCH_TIMEOUT_SECONDS * 1000;
const checkTime = (what: string) => {
  if (aborted.signal.aborted) throw aborted.signal.reason;
  if (Date.now() > deadline)
    throw new Error(`gave up after BENCH_TIMEOUT_SECONDS=${config.BENCH_TIMEOUT_SECONDS}: ${what}`);
};

const stateDir = mkdtempSync(join(tmpdir(), "bench-backfill-"));
let stand: HeldHistoryProcess | undefined;
let backfill: BackfillProcess | undefined;
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
let failures: string[] = [];
try {
  stand = await startHeldHistory();
  const { history } = stand;
  const expected = Object.values(history.symbols).reduce(
    (n, s) => ({
      trades: n.trades + s.lastTradeId - s.firstTradeId + 1,
      quotes: n.quotes + s.quotes,
    }),
    { trades: 0, quotes: 0 },
  );
  const backfillTicks = expected.trades + expected.quotes;
  console.log(
    `session ${session.date} (${session.open.toISOString()} – ${session.close.toISOString()}, ${sessionMinutes} minutes): ` +
      `${fmt(expected.trades)} trades + ${fmt(expected.quotes)} quotes = ${fmt(backfillTicks)} ticks for ${backfillSymbols.length} symbols ` +
      `(${config.BENCH_BACKFILL_TRADES_PER_MINUTE} trades + ${config.BENCH_BACKFILL_QUOTES_PER_MINUTE} quotes per symbol-minute), seeded in ${history.seedSeconds.toFixed(1)} s`,
  );

  pipeline = await startPipeline("bench_backfill");
  const { consumer, producer } = pipeline;
  // Ingest records its runs in Cassandra: in the bench's keyspace, not the shared `market`.
  const ingest = await pipeline.startIngest({
    ...simulatorEnv({ symbols: streamSymbols, rate: config.BENCH_STREAM_RATE, limit: 0, seed: 1 }),
    CASSANDRA_KEYSPACE: pipeline.keyspace,
  });
  const startedAt = Date.now();
  console.log(
    `streaming: simulator, ${streamSymbols.length} symbols at ${config.BENCH_STREAM_RATE} ticks/s (today); ` +
      `${config.BENCH_BASELINE_SECONDS} s alone before the backfill`,
  );

  const { samples, every, stopWatching } = createSampler({
    consumer,
    producer,
    watched: [consumer, producer, ingest],
    checkTime,
  });
  const timeline = (s: Sample, previous: Sample | undefined, label: string) => {
    if (!previous) return;
    const dt = (s.at - previous.at) / 1000;
    console.log(
      `  ${label} t+${secs(s.at - startedAt)} s: producer ${fmt((s.producer.records.accepted - previous.producer.records.accepted) / dt)}/s, ` +
        `consumer ${fmt((s.consumer.records.written - previous.consumer.records.written) / dt)} rows/s, lag ${fmt(s.consumer.lag.total)}, ` +
        `RSS ${fmt(s.rssMb)} MB, rebuilt ${fmt(s.consumer.bars.rebuilt)}`,
    );
  };

  const baselineStart = await every(() => true, "sampling");
  const baselineEnd = await every(
    (s) => s.at - startedAt >= config.BENCH_BASELINE_SECONDS * 1000,
    "streaming before the backfill",
  );
  const baselineLag = Math.max(
    ...samples.filter((s) => s.at >= baselineStart.at).map((s) => s.consumer.lag.total),
  );

  const cpuPids = {
    consumer: consumer.pid,
    producer: producer.pid,
    ingest: ingest.pid,
    "Alpaca stand-in": stand.pid,
  } as Record<string, number>;
  backfill = spawnBackfill(history, producer.url, stateDir);
  cpuPids.backfill = backfill.pid;
  const cpuBefore = Object.fromEntries(
    Object.entries(cpuPids).map(([name, pid]) => [
      name,
      name === "backfill" ? 0 : cpuSecondsOf(pid),
    ]),
  );
  const cpuAt = { ...cpuBefore };
  const backfillStart = baselineEnd;
  const run = backfill;
  console.log(
    `backfill started at t+${secs(Date.now() - startedAt)} s (bun run backfill, pid ${backfill.pid})`,
  );
  let shown = backfillStart;
  const backfillEnd = await every((s) => {
    if (s.at - shown.at >= 10_000) {
      timeline(s, shown, "backfill");
      shown = s;
    }
    if (run.code() === undefined) {
      for (const [name, pid] of Object.entries(cpuPids)) {
        const now = cpuSecondsOf(pid);
        if (Number.isFinite(now)) cpuAt[name] = now;
      }
    }
    return run.code() !== undefined;
  }, "the backfill runs");
  const done = await run.result();
  const wall = (backfillEnd.at - backfillStart.at) / 1000;
  const cpu = Object.entries(cpuPids)
    .map(([name]) => `${name} ${((cpuAt[name] ?? 0) - (cpuBefore[name] ?? 0)).toFixed(1)} s`)
    .join(", ");

  shown = backfillEnd;
  const caughtUp = await every((s) => {
    if (s.at - shown.at >= 10_000) {
      timeline(s, shown, "catch-up");
      shown = s;
    }
    return s.consumer.lag.total <= baselineLag;
  }, "waiting for lag to come back to its level before the backfill");
  const afterEnd = await every(
    (s) => s.at - caughtUp.at >= config.BENCH_AFTER_SECONDS * 1000,
    "streaming after the backfill",
  );
  const ingested = await ingest.json<IngestStats>("/stats");
  stopWatching(ingest);
  const ingestExit = await ingest.stop();
  const ingestWarning =
    ingestExit === 0
      ? undefined
      : `ingest exited ${ingestExit} on SIGTERM (not what this bench checks); its last lines:\n${ingest.output().trimEnd().split("\n").slice(-20).join("\n")}`;
  const drained = await every(
    (s) =>
      s.consumer.lag.total === 0 && s.producer.records.delivered === s.producer.records.accepted,
    "draining after the simulator stopped",
  );

  const lagZero = samples.find((s) => s.at >= backfillEnd.at && s.consumer.lag.total === 0);
  const during = samples.filter((s) => s.at >= backfillStart.at && s.at <= backfillEnd.at);
  const maxLag = during.concat(
    samples.filter((s) => s.at >= backfillEnd.at && s.at <= caughtUp.at),
  );
  const peakLag = maxLag.reduce((best, s) =>
    s.consumer.lag.total > best.consumer.lag.total ? s : best,
  );
  const rates = during.slice(1).map((s, i) => {
    const previous = during[i] as Sample;
    return (
      (s.consumer.records.written - previous.consumer.records.written) /
      ((s.at - previous.at) / 1000)
    );
  });
  const consumerWritten = (a: Sample, b: Sample) =>
    b.consumer.records.written - a.consumer.records.written;
  const accepted = (a: Sample, b: Sample) =>
    b.producer.records.accepted - a.producer.records.accepted;
  const rssDuring = samples.filter((s) => s.at >= backfillStart.at).map((s) => s.rssMb);
  const e2eDuring = during.map((s) => s.consumer.latency.endToEndMs.p99 ?? 0);
  const { peakMb } = rssOf(consumer.pid);
  const streamTicksDuring = Math.round(wall * config.BENCH_STREAM_RATE);

  const phases = await streamedLatency(pipeline.db, streamSymbols, [startedAt, Date.now()], {
    from: baselineStart.at,
    before: backfillStart.at,
    during: backfillEnd.at,
    "catch-up": caughtUp.at,
    after: afterEnd.at,
  });
  const db = pipeline.db;
  const latencyLine = (list: number[]) => {
    const sorted = list.sort((a, b) => a - b);
    if (sorted.length === 0) return "no ticks";
    return `${fmt(sorted.length)} ticks, p50 ${fmt(quantile(sorted, 0.5))} ms, p99 ${fmt(quantile(sorted, 0.99))} ms, max ${fmt(sorted.at(-1) ?? Number.NaN)} ms`;
  };

  console.log("--- results ---");
  console.log(
    `backfill: ${fmt(done.forwarded)} of ${fmt(backfillTicks)} ticks forwarded (fetched ${fmt(done.fetched)}, rejected ${done.rejected}, dropped ${done.dropped}) ` +
      `in ${wall.toFixed(1)} s = ${fmt(done.forwarded / wall)} ticks/s (bun run backfill, start to exit)`,
  );
  console.log(
    `producer accepted during the backfill: ${fmt(accepted(backfillStart, backfillEnd))} (${fmt(accepted(backfillStart, backfillEnd) / wall)}/s, backfill + ≈ ${fmt(streamTicksDuring)} streamed)`,
  );
  console.log(
    `consumer during the backfill: ${fmt(consumerWritten(backfillStart, backfillEnd))} rows written (${fmt(consumerWritten(backfillStart, backfillEnd) / wall)} rows/s; ` +
      `per-second p50 ${fmt(
        quantile(
          [...rates].sort((a, b) => a - b),
          0.5,
        ),
      )}, max ${fmt(Math.max(...rates))}); ` +
      `batches p50 ${backfillEnd.consumer.batches.p50Ms} ms, p99 ${backfillEnd.consumer.batches.p99Ms} ms (poll → commit, its recent window when the backfill ended)`,
  );
  console.log(
    `lag: ${fmt(baselineLag)} at most while streaming alone; at most ${fmt(peakLag.consumer.lag.total)} at t+${secs(peakLag.at - startedAt)} s ` +
      `(backfill t+${secs(backfillStart.at - startedAt)}–${secs(backfillEnd.at - startedAt)} s), ${fmt(backfillEnd.consumer.lag.total)} when it ended; ` +
      `back to ≤ ${fmt(baselineLag)} ${secs(caughtUp.at - backfillEnd.at)} s after the backfill ended, first sampled at 0 ${lagZero ? `${secs(lagZero.at - backfillEnd.at)} s after it${lagZero.at > afterEnd.at ? " (once the simulator stopped)" : ""}` : "never"} ` +
      `(all ${fmt(backfillTicks)} backfilled ticks stored ${secs(caughtUp.at - backfillStart.at)} s after it started: ${fmt(backfillTicks / ((caughtUp.at - backfillStart.at) / 1000))} ticks/s end to end)`,
  );
  console.log(
    `streamed ticks' latency, ingestTime → Cassandra write time (simulator rows read back): ` +
      `before ${latencyLine(phases.before)}; during the backfill ${latencyLine(phases.during)}; ` +
      `catch-up ${latencyLine(phases["catch-up"])}; after ${latencyLine(phases.after)}`,
  );
  console.log(
    `consumer /stats endToEndMs p99 (ingestTime → written over its sliding window of recent ticks, both loads mixed): ${fmt(baselineEnd.consumer.latency.endToEndMs.p99 ?? Number.NaN)} ms before the backfill, up to ${fmt(Math.max(...e2eDuring))} ms during it, ${fmt(afterEnd.consumer.latency.endToEndMs.p99 ?? Number.NaN)} ms at the end`,
  );
  console.log(
    `bars: ${fmt(drained.consumer.bars.rebuilt - backfillStart.consumer.bars.rebuilt)} minutes read back from stored ticks (bars.rebuilt) ` +
      `for ${fmt(backfillSymbols.length * sessionMinutes)} backfilled minutes; ${fmt(drained.consumer.bars.written - backfillStart.consumer.bars.written)} bar writes, ` +
      `${fmt(drained.consumer.bars.lateTicks - backfillStart.consumer.bars.lateTicks)} late trades`,
  );
  console.log(
    `consumer RSS: ${fmt(backfillStart.rssMb)} MB before the backfill, at most ${fmt(Math.max(...rssDuring))} MB sampled after it started ` +
      `(VmHWM ${fmt(peakMb)} MB), ${fmt(drained.rssMb)} MB at the end`,
  );
  console.log(`CPU during the backfill (${wall.toFixed(1)} s wall, 2 cores): ${cpu}`);
  console.log(
    `simulator: ${fmt(ingested.records.forwarded)} ticks forwarded in ${secs(afterEnd.at - startedAt)} s, ${ingested.records.dropped} dropped`,
  );

  if (ingestWarning) console.log(`warning: ${ingestWarning}`);
  console.log("--- checks ---");
  const checked = await checkStored(db, history);
  const { storedTrades, storedQuotes, barsChecked } = checked;
  failures = checked.failures;
  failures = failures
    .slice(0, 50)
    .concat(failures.length > 50 ? [`… and ${failures.length - 50} more`] : []);
  console.log(
    `stored: ${fmt(storedTrades)} of ${fmt(expected.trades)} backfilled trades and ${fmt(storedQuotes)} of ${fmt(expected.quotes)} quotes, each once; ` +
      `${fmt(barsChecked)} of ${fmt(backfillSymbols.length * sessionMinutes)} backfilled bars equal their stored trades`,
  );
} finally {
  await backfill?.kill();
  await stand?.stop();
  await pipeline?.close();
  rmSync(stateDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`FAILED:\n${failures.join("\n")}`);
  process.exit(1);
}
console.log("OK");
