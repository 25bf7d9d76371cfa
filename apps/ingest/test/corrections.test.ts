import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tick } from "@repo/contracts";
import {
  barsFromStoredTicks,
  buildApp,
  describeServices,
  eventually,
  expectedBars,
  type Pipeline,
  postTicks,
  type RunningService,
  sampleTick,
  startPipeline,
  startService,
  storedBars,
} from "@repo/testkit";
import type { IngestStats } from "../src/stats.ts";
import { type FakeAlpaca, startFakeAlpaca, type TradeRecord } from "../src/testing/fake-alpaca.ts";
import { fakeAlpacaEnv } from "../src/testing/fake-alpaca-env.ts";
import { pastSession } from "../src/testing/past-session.ts";
import { runBackfill } from "./harness.ts";

/**
 * Corrections and cancels as data, on the real stack: one Alpaca session with cancels and
 * corrections reaches three keyspaces three ways — streamed (T:x / T:c), recovered from history
 * after a drop (u marks), and backfilled (`bun run backfill`, u marks) — and each ends with the
 * same ticks and bars, equal to an independent recomputation from the session's surviving trades.
 * Ordering the stream cannot produce (a correction before its trade, a cancel replayed twice) is
 * posted to the producer directly.
 */

const dir = mkdtempSync(join(tmpdir(), "corrections-"));
/** The ingest services the tests start (each pipeline stops its own producer and consumer). */
const services: RunningService[] = [];
let fake: FakeAlpaca;

type NamedPipeline = Pipeline & { name: string };
const pipelines: NamedPipeline[] = [];

async function startNamedPipeline(name: string): Promise<NamedPipeline> {
  const pipeline = { ...(await startPipeline(`corrections_${name}`)), name };
  pipelines.push(pipeline);
  return pipeline;
}

beforeAll(async () => {
  fake = startFakeAlpaca({ maxPage: 7 });
  await Promise.all([buildApp("producer"), buildApp("consumer")]);
}, 240_000);

afterAll(async () => {
  for (const service of services.reverse()) await service.stop().catch(() => {});
  for (const p of pipelines) await p.close();
  fake?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

const alpacaEnv = (producer: RunningService) => ({
  ...fakeAlpacaEnv(fake),
  PRODUCER_URL: producer.url,
  INGEST_PROVIDERS: "alpaca",
  ALPACA_MODE: "stream",
  ALPACA_SYMBOLS: "SESS,MARK,ONES",
  ALPACA_REGULAR_HOURS_ONLY: "false",
  // The session is last trading day's: streamed now, it is days old.
  INGEST_MAX_STALENESS_MS: String(30 * 86_400_000),
  INGEST_LINGER_MS: "50",
});

const wait = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 90_000) =>
  eventually(check, {
    timeoutMs,
    intervalMs: 200,
    message,
    diagnose: () => describeServices([...services, ...pipelines.flatMap((p) => p.services)]),
  });

/** A stored tick as compared across keyspaces (ingest time aside: it is when each path read it). */
type Row = [string, string, string, number, string, string, string | null, boolean];

async function tickRows(db: Pipeline["db"], symbol: string): Promise<Row[]> {
  const rows: Row[] = [];
  const result = await db.execute(
    "SELECT symbol, event_time_us, source, sequence, kind, price, size, exchange, cancelled FROM ticks",
    [],
    { prepare: true, fetchSize: 5_000 },
  );
  for await (const r of result) {
    if (r.get("symbol") !== symbol) continue;
    rows.push([
      r.get("symbol"),
      r.get("event_time_us").toString(),
      r.get("source"),
      Number(r.get("sequence")),
      r.get("kind"),
      `${r.get("price")}|${r.get("size")}`,
      r.get("exchange"),
      r.get("cancelled") === true,
    ]);
  }
  return rows.sort((a, b) => a[3] - b[3]);
}

const barsOf = async (db: Pipeline["db"], symbol: string) =>
  [...(await storedBars(db))].filter(([key]) => key.startsWith(`${symbol}|`)).sort();

/** µs of a stand-in stamp (RFC 3339 with 9 fractional digits). */
const micros = (t: string) => Date.parse(`${t.slice(0, 23)}Z`) * 1000 + Number(t.slice(23, 26));

/** What the session must leave, computed from the stand-in's own history (no pipeline code). */
function expectedSession(records: readonly TradeRecord[]) {
  const rows: Row[] = records.map((r) => [
    "SESS",
    String(micros(r.t)),
    "alpaca",
    r.i,
    "TRADE",
    `${r.p}|${r.s}`,
    r.x,
    r.u === "canceled" || r.u === "incorrect",
  ]);
  const surviving = records
    .filter((r) => r.u !== "canceled" && r.u !== "incorrect")
    .map((r) => ({
      symbol: "SESS",
      eventTimeUs: BigInt(micros(r.t)),
      sequence: BigInt(r.i),
      source: "alpaca",
      price: String(r.p),
      size: BigInt(r.s),
    }));
  const bars = [...expectedBars(surviving)]
    .map(([key, b]) => [
      key,
      [b.open, b.high, b.low, b.close, b.volume.toString(), b.vwap, b.trades.toString()],
    ])
    .sort();
  return { rows: rows.sort((a, b) => a[3] - b[3]), bars };
}

test("a session with cancels and corrections ends with the same ticks and bars streamed, recovered from history after a drop, and backfilled; each equals the recomputation from the surviving trades", async () => {
  const [streamed, recovered] = await Promise.all([
    startNamedPipeline("stream"),
    startNamedPipeline("gap"),
  ]);
  const { session, next } = pastSession();
  // A minute boundary of that session: the gap path's history window starts at its last streamed
  // trade (3 s before) and spans the seconds it was disconnected, so the session fits in it.
  const boundary = session.open.getTime() + 3 * 3_600_000;

  // The gap path's ingest streams first and sees one trade, then loses its connection to the
  // stream path's ingest (one connection per key) until that one stops.
  const gapIngest = await startService(
    "ingest",
    {
      ...alpacaEnv(recovered.producer),
      INGEST_STREAM_RECONNECT_MIN_MS: "8000",
      INGEST_STREAM_RECONNECT_MAX_MS: "8000",
      INGEST_STREAM_LIMIT_SHORT_RETRIES: "100000",
      INGEST_STREAM_LIMIT_RETRY_MS: "300",
      INGEST_GAP_OVERLAP_MS: "500",
    },
    { waitFor: "readyz" },
  );
  services.push(gapIngest);
  fake.trades("MARK", 1, boundary - 3_000);
  await wait(
    async () =>
      (await gapIngest.json<IngestStats>("/stats")).records.forwarded === 1 ? true : undefined,
    "the gap path's ingest did not stream its first trade",
  );
  const streamIngest = await startService(
    "ingest",
    {
      ...alpacaEnv(streamed.producer),
      INGEST_STREAM_LIMIT_SHORT_RETRIES: "100000",
      INGEST_STREAM_LIMIT_RETRY_MS: "100",
    },
    { waitFor: "healthz" },
  );
  services.push(streamIngest);
  fake.dropClients();
  await wait(
    async () => ((await fetch(`${streamIngest.url}/readyz`)).status === 200 ? true : undefined),
    "the stream path's ingest did not take the connection",
  );

  // The session: a minute of one trade, a busy minute, then busts on the stream.
  const [lone] = fake.trades("SESS", 1, boundary - 2_000);
  const first = fake.trades("SESS", 6, boundary + 1_000);
  const second = fake.trades("SESS", 6, boundary + 1_100);
  await wait(
    async () =>
      (await streamIngest.json<IngestStats>("/stats")).records.forwarded === 13 ? true : undefined,
    "the session's trades were not forwarded",
  );
  fake.bust("SESS", first[1] as number, "canceled");
  fake.bust("SESS", first[3] as number, "corrected", 99.75);
  fake.bust("SESS", second[0] as number, "corrected", 100.4);
  fake.bust("SESS", lone as number, "canceled");
  // The stream sends a cancel twice: ingest forwards it once.
  const original = fake.tradeRecords("SESS").find((r) => r.i === first[1]) as TradeRecord;
  fake.send([{ T: "x", S: "SESS", i: first[1], x: "V", p: original.p, s: original.s, a: "C" }]);
  // One-sided quote: stored with the ask null, counted.
  fake.oneSidedQuote("ONES");
  const streamStats = await wait(async () => {
    const stats = await streamIngest.json<IngestStats>("/stats");
    return stats.records.forwarded === 13 + 4 + 2 + 1 && stats.records.rejected.duplicate === 1
      ? stats
      : undefined;
  }, "the busts were not forwarded");
  expect(streamStats.records.cancels).toBe(4);
  expect(streamStats.records.oneSidedQuotes).toBe(1);
  expect(streamStats.records.skipped).toEqual({ unresolved_cancel: 0, unresolved_correction: 0 });
  expect(await streamIngest.stop("SIGTERM", 20_000)).toBe(0);

  const expected = expectedSession(fake.tradeRecords("SESS"));
  expect(expected.rows.filter((r) => r[7]).length).toBe(4);
  expect(expected.bars.length).toBe(1); // the lone minute's only trade is cancelled: no bar
  const converged = async (p: NamedPipeline) =>
    wait(async () => {
      const rows = await tickRows(p.db, "SESS");
      const bars = await barsOf(p.db, "SESS");
      return JSON.stringify(rows) === JSON.stringify(expected.rows) &&
        JSON.stringify(bars) === JSON.stringify(expected.bars)
        ? { rows, bars }
        : undefined;
    }, `the ${p.name} path did not converge on the session's ticks and bars`);

  const viaStream = await converged(streamed);
  const quote = (
    await streamed.db.execute(
      "SELECT kind, bid, ask, bid_size, ask_size FROM latest_quotes WHERE symbol = 'ONES'",
    )
  ).first();
  expect([quote?.get("kind"), quote?.get("ask"), quote?.get("ask_size")]).toEqual([
    "QUOTE",
    null,
    null,
  ]);
  expect(String(quote?.get("bid"))).not.toBe("null");
  const oneSided = (
    await streamed.db.execute(
      "SELECT bid, ask, ask_size FROM ticks WHERE symbol = 'ONES' AND day = ?",
      [new Date().toISOString().slice(0, 10)],
      { prepare: true },
    )
  ).rows;
  expect(oneSided.map((r) => [r.get("ask"), r.get("ask_size")])).toEqual([[null, null]]);

  // The gap path's ingest gets the connection back and recovers the session from history (u).
  const recoveredStats = await wait(async () => {
    const stats = await gapIngest.json<
      IngestStats & { providers: { alpaca: { recovery: { gaps: number; pending: number } } } }
    >("/stats");
    const { recovery } = stats.providers.alpaca;
    return recovery.gaps >= 1 && recovery.pending === 0 && stats.buffer.size === 0
      ? stats
      : undefined;
  }, "the gap path's ingest did not recover the gap");
  expect(recoveredStats.records.cancels).toBe(4);
  const viaGap = await converged(recovered);
  expect(await gapIngest.stop("SIGTERM", 20_000)).toBe(0);

  // The backfill path: `bun run backfill` of the session's day.
  for (const p of [streamed, recovered]) {
    await p.consumer.stop();
    await p.producer.stop();
  }
  const backfilled = await startNamedPipeline("backfill");
  await runBackfill({
    provider: "alpaca",
    symbols: "SESS",
    from: session.date,
    to: next,
    state: join(dir, "backfill.json"),
    env: alpacaEnv(backfilled.producer),
  });
  const viaBackfill = await converged(backfilled);

  expect(viaGap).toEqual(viaStream);
  expect(viaBackfill).toEqual(viaStream);
  // The consumer's own rows agree with the checker's recomputation from what it stored.
  for (const p of [streamed, recovered, backfilled]) {
    const recomputed = [...(await barsFromStoredTicks(p.db))]
      .filter(([key]) => key.startsWith("SESS|"))
      .sort();
    expect(recomputed).toEqual(await barsOf(p.db, "SESS"));
  }
}, 420_000);

test("through the producer directly: a correction before its trade, and a cancel replayed twice, end as the surviving trades' bars; a minute of only cancelled trades has no bar row", async () => {
  const p = pipelines.find((x) => x.name === "backfill") ?? (await startNamedPipeline("direct"));
  const minute = (Math.floor(Date.now() / 60_000) - 10) * 60_000_000;
  const trade = (sequence: number, price: string, offsetUs: number, size = 10): Tick =>
    sampleTick({
      source: "direct",
      symbol: "ORDR",
      kind: "TRADE",
      eventTime: minute + offsetUs,
      sequence,
      price,
      size,
      exchange: "V",
      ingestTime: minute,
    });
  const t1 = trade(1, "50", 1_000);
  const t2 = trade(2, "51", 2_000);
  const t3 = trade(3, "70", 3_000, 500);
  const lone = trade(4, "80", 61_000_000);
  // A correction of t3 (cancel of t3 + its replacement t5) before t3 itself arrives.
  const t5 = trade(5, "52", 3_000);
  await postTicks(p.producer, [t1, { ...t3, cancelled: true }, t5]);
  await postTicks(p.producer, [t2, t3]);
  // A cancel of t1, posted twice; the lone trade of the next minute and its cancel.
  await postTicks(p.producer, [{ ...t1, cancelled: true }, lone]);
  await postTicks(p.producer, [{ ...t1, cancelled: true }]);
  await postTicks(p.producer, [{ ...lone, cancelled: true }]);
  // Only t2 (51 × 10) and t5 (52 × 10) survive in the first minute; the next has no bar.
  const expectedBarsOf = [[`ORDR|${minute / 1000}`, ["51", "52", "51", "52", "20", "51.5", "2"]]];
  const expectedState = [
    [1, true],
    [2, false],
    [3, true],
    [4, true],
    [5, false],
  ];
  await wait(async () => {
    const state = (await tickRows(p.db, "ORDR")).map((r) => [r[3], r[7]]);
    const bars = await barsOf(p.db, "ORDR");
    return JSON.stringify(state) === JSON.stringify(expectedState) &&
      JSON.stringify(bars) === JSON.stringify(expectedBarsOf)
      ? true
      : undefined;
  }, "the direct ticks did not converge");
  const bars = await barsOf(p.db, "ORDR");
  const recomputed = [...(await barsFromStoredTicks(p.db))]
    .filter(([key]) => key.startsWith("ORDR|"))
    .sort();
  expect(recomputed).toEqual(bars);
  // latest_quotes ignores cancels: it keeps the lone trade, cancelled after it was written there
  // (the documented limitation).
  const latest = (
    await p.db.execute("SELECT sequence FROM latest_quotes WHERE symbol = 'ORDR'")
  ).first();
  expect(Number(latest?.get("sequence"))).toBe(4);
}, 180_000);
