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
 * Internally the same file, run with `--serve-alpaca-history`, is the stand-in's process (seeded
 * there, so its page scans do not stall this process's sampling); it prints one JSON line with its
 * URL and what it holds, and exits when its stdin closes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  canonical,
  childEnv,
  expectedBars,
  type IngestStats,
  type ProducerStats,
  STORED_TRADE_COLUMNS,
  type StoredTrade,
  simulatorEnv,
  storedTradeOf,
} from "@repo/testkit";
import cassandra from "cassandra-driver";
import { exchangeDate, sessionsBetween } from "../../../apps/ingest/src/schedule/calendar.ts";
import { startFakeAlpaca } from "../../../apps/ingest/src/testing/fake-alpaca.ts";
import { loadConfig, positiveInt, z } from "../../platform/src/config.ts";
import { configOrExit } from "../../platform/src/startup.ts";
import { startPipeline } from "../src/pipeline.ts";

const config = configOrExit(() =>
  loadConfig({
    BENCH_BACKFILL_SYMBOLS: z.coerce.number().int().min(1).max(100).default(10),
    BENCH_BACKFILL_TRADES_PER_MINUTE: z.coerce.number().int().min(1).max(2000).default(150),
    BENCH_BACKFILL_QUOTES_PER_MINUTE: z.coerce.number().int().min(0).max(2000).default(50),
    BENCH_STREAM_SYMBOLS: z.coerce.number().int().min(1).max(100).default(20),
    BENCH_STREAM_RATE: positiveInt(300),
    /** Streaming alone before the backfill starts, and again once lag is back to 0. */
    BENCH_BASELINE_SECONDS: positiveInt(30),
    BENCH_AFTER_SECONDS: positiveInt(20),
    BENCH_TIMEOUT_SECONDS: positiveInt(1200),
  }),
);

const TICKERS = [
  "AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "AMD", "INTC", "ORCL",
  "IBM", "CSCO", "ADBE", "CRM", "NFLX", "QCOM", "TXN", "AVGO", "PEP", "KO",
  "JPM", "BAC", "WFC", "C", "GS", "MS", "XOM", "CVX", "PFE", "MRK",
]; // biome-ignore format: a table
const names = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => TICKERS[offset + i] ?? `SYM${offset + i}`);
/** The simulator's symbols, then the backfill's: disjoint, so every row says which load it is. */
const streamSymbols = names(config.BENCH_STREAM_SYMBOLS, 0);
const backfillSymbols = names(config.BENCH_BACKFILL_SYMBOLS, config.BENCH_STREAM_SYMBOLS);

/** The most recent regular session that ended before New York's today. */
const session = (() => {
  const today = exchangeDate(new Date());
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - 14 * 86_400_000);
  const found = sessionsBetween(from.toISOString().slice(0, 10), today).at(-1);
  if (!found) throw new Error(`no trading session in the two weeks before ${today}`);
  return found;
})();
const sessionMinutes = Math.round((session.close.getTime() - session.open.getTime()) / 60_000);

interface HeldHistory {
  dataUrl: string;
  keyId: string;
  secretKey: string;
  /** Per symbol: the Alpaca trade ids (a contiguous range) and how many quotes it holds. */
  symbols: Record<string, { firstTradeId: number; lastTradeId: number; quotes: number }>;
  seedSeconds: number;
}

if (process.argv.includes("--serve-alpaca-history")) {
  const started = performance.now();
  const fake = startFakeAlpaca();
  const tpm = config.BENCH_BACKFILL_TRADES_PER_MINUTE;
  const qpm = config.BENCH_BACKFILL_QUOTES_PER_MINUTE;
  const held: HeldHistory["symbols"] = {};
  for (const symbol of backfillSymbols) {
    for (let minute = 0; minute < sessionMinutes; minute += 1) {
      const startMs = session.open.getTime() + minute * 60_000;
      for (let k = 0; k < tpm; k += 1)
        fake.trades(symbol, 1, startMs + Math.floor((k * 60_000) / tpm));
      for (let k = 0; k < qpm; k += 1)
        fake.quotes(symbol, 1, startMs + Math.floor(((k + 0.5) * 60_000) / qpm));
    }
    const ids = fake.tradeIds(symbol);
    held[symbol] = {
      firstTradeId: ids[0] ?? 0,
      lastTradeId: ids.at(-1) ?? 0,
      quotes: fake.quoteCount(symbol),
    };
  }
  const history: HeldHistory = {
    dataUrl: fake.dataUrl,
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    symbols: held,
    seedSeconds: (performance.now() - started) / 1000,
  };
  console.log(JSON.stringify(history));
  // The parent holds our stdin: when it ends, for whatever reason, so do we.
  for await (const _ of Bun.stdin.stream());
  fake.stop();
  process.exit(0);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** What the bench reads from the consumer's `/stats`. */
interface ConsumerSample {
  records: { consumed: number; written: number; deadLettered: number };
  bars: { written: number; rebuilt: number; lateTicks: number };
  lag: { total: number };
  batches: { count: number; p50Ms: number | null; p99Ms: number | null };
  latency: { endToEndMs: { p50: number | null; p99: number | null } };
}
interface Sample {
  at: number;
  consumer: ConsumerSample;
  producer: ProducerStats;
  rssMb: number;
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

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
const historyProcess = Bun.spawn(["bun", import.meta.path, "--serve-alpaca-history"], {
  env: childEnv(),
  stdin: "pipe",
  stdout: "pipe",
  stderr: "inherit",
});
let backfill: ReturnType<typeof Bun.spawn> | undefined;
let pipeline: Awaited<ReturnType<typeof startPipeline>> | undefined;
let failures: string[] = [];
try {
  const reader = historyProcess.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the Alpaca stand-in ended before saying where it listens");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const history = JSON.parse(text.slice(0, text.indexOf("\n"))) as HeldHistory;
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

  const samples: Sample[] = [];
  let ingestStopped = false;
  const sample = async (): Promise<Sample> => {
    const get = async <T>(url: string) =>
      (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(5000) })).json()) as T;
    const [c, p] = await Promise.all([
      get<ConsumerSample>(consumer.url),
      get<ProducerStats>(producer.url),
    ]);
    const s = { at: Date.now(), consumer: c, producer: p, rssMb: rssOf(consumer.pid).rssMb };
    samples.push(s);
    return s;
  };
  const every = async (until: (s: Sample) => boolean, what: string): Promise<Sample> => {
    for (;;) {
      checkTime(what);
      const next = Bun.sleep(1000);
      const s = await sample();
      for (const service of [consumer, producer, ingest]) {
        const ended = service === ingest && ingestStopped ? undefined : service.ended();
        if (ended) throw new Error(`${service.name} ended (${ended}) while ${what}`);
      }
      if (s.consumer.records.deadLettered > 0)
        throw new Error(`the consumer dead-lettered ${s.consumer.records.deadLettered} records`);
      if (until(s)) return s;
      await next;
    }
  };
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
    "Alpaca stand-in": historyProcess.pid,
  } as Record<string, number>;
  backfill = Bun.spawn(
    [
      "bun",
      resolve(import.meta.dir, "../../../apps/ingest/src/backfill/cli.ts"),
      "--provider",
      "alpaca",
      "--symbols",
      backfillSymbols.join(","),
      "--from",
      session.date,
      "--to",
      new Date(Date.parse(`${session.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10),
      "--state",
      join(stateDir, "state.json"),
      "--progress",
      "json",
    ],
    {
      env: childEnv({
        ALPACA_API_KEY_ID: history.keyId,
        ALPACA_API_SECRET_KEY: history.secretKey,
        ALPACA_DATA_URL: history.dataUrl,
        ALPACA_RATE_PER_MINUTE: "60000",
        PRODUCER_URL: producer.url,
      }),
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  cpuPids.backfill = backfill.pid;
  const cpuBefore = Object.fromEntries(
    Object.entries(cpuPids).map(([name, pid]) => [
      name,
      name === "backfill" ? 0 : cpuSecondsOf(pid),
    ]),
  );
  const cpuAt = { ...cpuBefore };
  const backfillStart = baselineEnd;
  const backfillOutput = Promise.all([
    new Response(backfill.stdout as ReadableStream).text(),
    new Response(backfill.stderr as ReadableStream).text(),
  ]);
  let backfillCode: number | undefined;
  void backfill.exited.then((code) => {
    backfillCode = code;
  });
  console.log(
    `backfill started at t+${secs(Date.now() - startedAt)} s (bun run backfill, pid ${backfill.pid})`,
  );
  let shown = backfillStart;
  const backfillEnd = await every((s) => {
    if (s.at - shown.at >= 10_000) {
      timeline(s, shown, "backfill");
      shown = s;
    }
    if (backfillCode === undefined) {
      for (const [name, pid] of Object.entries(cpuPids)) {
        const now = cpuSecondsOf(pid);
        if (Number.isFinite(now)) cpuAt[name] = now;
      }
    }
    return backfillCode !== undefined;
  }, "the backfill runs");
  const [backfillStdout, backfillStderr] = await backfillOutput;
  const done = backfillStdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map(
      (line) =>
        JSON.parse(line) as {
          event: string;
          forwarded: number;
          rejected: number;
          dropped: number;
          fetched: number;
        },
    )
    .at(-1);
  if (backfillCode !== 0 || done?.event !== "done") {
    throw new Error(
      `bun run backfill exited ${backfillCode}:\n${backfillStdout.slice(-3000)}\n${backfillStderr.slice(-3000)}`,
    );
  }
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
  ingestStopped = true;
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

  // The simulator's ticks as stored: ingestTime (stamped by ingest as it takes the tick) → the row's
  // Cassandra write time (set by the consumer's driver as it writes the row).
  const db = pipeline.db;
  const days = [
    ...new Set([startedAt, Date.now()].map((ms) => new Date(ms).toISOString().slice(0, 10))),
  ];
  const phases = {
    before: [] as number[],
    during: [] as number[],
    "catch-up": [] as number[],
    after: [] as number[],
  };
  for (const symbol of streamSymbols) {
    for (const day of days) {
      const rows = await db.execute(
        "SELECT ingest_time_us, writetime(kind) AS written_us FROM ticks WHERE symbol = ? AND day = ?",
        [symbol, cassandra.types.LocalDate.fromString(day)],
        { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
      );
      for await (const row of rows) {
        const ingestUs = Number(row.get("ingest_time_us"));
        const latencyMs = (Number(row.get("written_us")) - ingestUs) / 1000;
        const atMs = ingestUs / 1000;
        if (atMs < baselineStart.at) continue;
        if (atMs < backfillStart.at) phases.before.push(latencyMs);
        else if (atMs < backfillEnd.at) phases.during.push(latencyMs);
        else if (atMs < caughtUp.at) phases["catch-up"].push(latencyMs);
        else if (atMs < afterEnd.at) phases.after.push(latencyMs);
      }
    }
  }
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
  let storedTrades = 0;
  let storedQuotes = 0;
  let barsChecked = 0;
  const day = session.open.toISOString().slice(0, 10);
  if (session.close.toISOString().slice(0, 10) !== day)
    throw new Error(`session ${session.date} spans two UTC days; the check reads one`);
  const localDay = cassandra.types.LocalDate.fromString(day);
  for (const symbol of backfillSymbols) {
    const held = history.symbols[symbol];
    if (!held) throw new Error(`the stand-in holds nothing for ${symbol}`);
    const trades: StoredTrade[] = [];
    const ids = new Set<number>();
    let quotes = 0;
    let others = 0;
    let rows = 0;
    const result = await db.execute(
      `SELECT ${STORED_TRADE_COLUMNS} FROM ticks WHERE symbol = ? AND day = ?`,
      [symbol, localDay],
      { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
    );
    for await (const row of result) {
      rows += 1;
      if (row.get("source") !== "alpaca") others += 1;
      else if (row.get("kind") === "TRADE") {
        const trade = storedTradeOf(row);
        trades.push(trade);
        ids.add(Number(trade.sequence));
      } else quotes += 1;
    }
    const tradeCount = held.lastTradeId - held.firstTradeId + 1;
    const outOfRange = [...ids].filter((id) => id < held.firstTradeId || id > held.lastTradeId);
    if (trades.length !== tradeCount || ids.size !== tradeCount || outOfRange.length > 0)
      failures.push(
        `${symbol}: ${trades.length} trade rows (${ids.size} distinct ids, ${outOfRange.length} unknown) for ${tradeCount} trades`,
      );
    if (quotes !== held.quotes)
      failures.push(`${symbol}: ${quotes} quote rows for ${held.quotes} quotes`);
    if (others > 0) failures.push(`${symbol}: ${others} rows from another source`);
    storedTrades += trades.length;
    storedQuotes += quotes;

    const wanted = expectedBars(trades);
    const bars = await db.execute(
      "SELECT minute, open, high, low, close, volume, vwap, trades FROM bars_1m WHERE symbol = ? AND day = ?",
      [symbol, localDay],
      { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
    );
    const seen = new Set<number>();
    for await (const bar of bars) {
      const minuteMs = (bar.get("minute") as Date).getTime();
      seen.add(minuteMs);
      const want = wanted.get(`${symbol}|${minuteMs}`);
      const got = ["open", "high", "low", "close", "vwap"].map((c) => canonical(bar.get(c)));
      const counts = [bar.get("volume").toString(), bar.get("trades").toString()];
      const expectedRow = want && [want.open, want.high, want.low, want.close, want.vwap];
      if (
        !want ||
        JSON.stringify(got) !== JSON.stringify(expectedRow) ||
        counts[0] !== want.volume.toString() ||
        counts[1] !== want.trades.toString()
      )
        failures.push(
          `${symbol} ${new Date(minuteMs).toISOString()}: bar ${JSON.stringify([...got, ...counts])} ≠ its ticks ${JSON.stringify(want, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
        );
      else barsChecked += 1;
    }
    for (const key of wanted.keys()) {
      const minuteMs = Number(key.split("|")[1]);
      if (!seen.has(minuteMs))
        failures.push(`${symbol} ${new Date(minuteMs).toISOString()}: no bar`);
    }
    void rows;
  }
  failures = failures
    .slice(0, 50)
    .concat(failures.length > 50 ? [`… and ${failures.length - 50} more`] : []);
  console.log(
    `stored: ${fmt(storedTrades)} of ${fmt(expected.trades)} backfilled trades and ${fmt(storedQuotes)} of ${fmt(expected.quotes)} quotes, each once; ` +
      `${fmt(barsChecked)} of ${fmt(backfillSymbols.length * sessionMinutes)} backfilled bars equal their stored trades`,
  );
} finally {
  if (backfill && backfill.exitCode === null) {
    backfill.kill("SIGTERM");
    await backfill.exited;
  }
  historyProcess.stdin.end();
  const timer = setTimeout(() => historyProcess.kill("SIGKILL"), 10_000);
  await historyProcess.exited;
  clearTimeout(timer);
  await pipeline?.close();
  rmSync(stateDir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`FAILED:\n${failures.join("\n")}`);
  process.exit(1);
}
console.log("OK");
