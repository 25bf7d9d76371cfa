/**
 * The dashboard in a real headless Chromium against the real pipeline (ingest simulator, producer,
 * consumer, api): the chart draws the stored bars, the quote board changes when a tick is posted,
 * pipeline health shows every service, and the page logs no error. Also: `/metrics` of every
 * service is valid Prometheus text, and the Grafana dashboard only queries metrics that exist.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExpositionFamily, parseExposition } from "@repo/platform/exposition";
import { eventually, testResultsDir } from "@repo/testkit";
import type { BrowserContext, Page } from "playwright-core";
import {
  type ApiPipeline,
  collectPageProblems,
  iso,
  launchChromium,
  marketTicks,
  startApiPipeline,
} from "./support.ts";

const resultsDir = testResultsDir;
const MINUTE_MS = 60_000;
/** 40 minutes of AAPL and MSFT history ending two minutes ago. */
const END_MS = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 2 * MINUTE_MS;
const history = marketTicks({
  symbols: ["AAPL", "MSFT"],
  fromMs: END_MS - 40 * MINUTE_MS,
  toMs: END_MS,
  stepMs: 6_000,
  source: "dashboard-test",
  seed: 7,
});

/**
 * A recorded feed ingest replays beside the simulator: JUMPX at 100, then 300 (beyond
 * INGEST_MAX_PRICE_JUMP, 10 %), which the data-quality gate must refuse as `price_jump`.
 */
const JUMPS = 1;
const jumpFeed = [100, 100.01, 300].map((price, i) => {
  const eventTime = iso(END_MS - 10 * MINUTE_MS + i * 1_000);
  return JSON.stringify({
    source: "dashboard-replay",
    symbol: "JUMPX",
    kind: "TRADE",
    eventTime,
    sequence: i + 1,
    price: price.toFixed(6),
    size: 10,
    ingestTime: eventTime,
  });
});

let run: ApiPipeline;
let browser: BrowserContext;
let profile: string;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  run = await startApiPipeline("dash");
  await run.post(history);
  await run.stored(history.length);
  profile = mkdtempSync(join(tmpdir(), "marketpipe-chromium-"));
  const replayFile = join(profile, "jumps.ndjson");
  writeFileSync(replayFile, `${jumpFeed.join("\n")}\n`);
  await run.startIngest({
    SIMULATOR_SYMBOLS: "SIMA,SIMB",
    SIMULATOR_RATE: "4",
    INGEST_PROVIDERS: "simulator,replay",
    REPLAY_FILE: replayFile,
    REPLAY_SPEED: "0",
  });
  ({ browser, page } = await launchChromium(profile, { width: 1400, height: 1000 }));
  collectPageProblems(page, problems, { failedRequest: (url) => !url.includes("/v1/stream") });
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  await run?.pipeline.close();
}, 60_000);

/** Stored 1-minute bars of AAPL by CQL, oldest first. */
async function storedMinutes(symbol: string) {
  const result = await run.pipeline.db.execute(
    "SELECT minute, close FROM bars_1m WHERE symbol = ? AND day IN ?",
    [symbol, [...new Set([END_MS - 40 * MINUTE_MS, END_MS, Date.now()].map(dayOf))]],
    { prepare: true },
  );
  return result.rows
    .map((row) => ({
      start: (row.get("minute") as Date).getTime(),
      close: String(row.get("close")),
    }))
    .sort((a, b) => a.start - b.start);
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
type Dataset = Record<string, string | undefined>;
const chartState = () =>
  page.locator("#chart").evaluate((el: { dataset: Dataset }): Dataset => ({ ...el.dataset }));

/** Pixels of the candle colours on the chart's canvases: proof that candles were painted. */
const paintedCandlePixels = () =>
  page.evaluate<number>(`(() => {
    let count = 0;
    for (const canvas of document.querySelectorAll("#chart canvas")) {
      const context = canvas.getContext("2d");
      if (!context || canvas.width === 0 || canvas.height === 0) continue;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        if ((r === 0x26 && g === 0xa6 && b === 0x9a) || (r === 0xef && g === 0x53 && b === 0x50))
          count += 1;
      }
    }
    return count;
  })()`);

describe("the dashboard in headless Chromium", () => {
  test("the chart draws the stored bars of the chosen symbol", async () => {
    await page.goto(`${run.api.url}/?symbol=AAPL&interval=1m`);
    const stored = await storedMinutes("AAPL");
    expect(stored.length).toBeGreaterThanOrEqual(39);
    const state = await eventually(
      async () => {
        const s = await chartState();
        return s.state === "ready" && Number(s.bars) === stored.length ? s : undefined;
      },
      { message: "the chart did not show the stored AAPL bars", timeoutMs: 30_000 },
    );
    expect(state.first).toBe(iso(stored[0]?.start ?? 0));
    expect(state.last).toBe(iso(stored.at(-1)?.start ?? 0));
    expect(state.lastClose).toBe(stored.at(-1)?.close);
    expect(await paintedCandlePixels()).toBeGreaterThan(200);
  });

  test("a posted tick changes the quote board and the chart's last bar", async () => {
    const row = page.locator('#quotes tr[data-symbol="AAPL"]');
    await row.waitFor();
    await eventually(
      async () =>
        (await page.locator("#connection").getAttribute("data-state")) === "open" ? 1 : undefined,
      { message: "the stream did not open" },
    );
    const before = await row.locator("td.price").textContent();
    const eventTime = iso(Date.now() - 1_000, 654);
    const price = before === "150.123456" ? "150.654321" : "150.123456";
    await run.post([
      {
        source: "dashboard-test",
        symbol: "AAPL",
        kind: "TRADE",
        eventTime,
        sequence: 9_000_000,
        price,
        size: 77,
        ingestTime: eventTime,
      },
    ]);
    await eventually(
      async () => ((await row.locator("td.price").textContent()) === price ? true : undefined),
      { message: `the AAPL quote did not change to ${price}`, timeoutMs: 30_000 },
    );
    expect(await row.locator("td.time").textContent()).toBe(eventTime.slice(11, 23));
    const minute = iso(Math.floor(Date.parse(eventTime) / MINUTE_MS) * MINUTE_MS);
    const [stored] = (await storedMinutes("AAPL")).filter((b) => iso(b.start) === minute);
    await eventually(
      async () => {
        const s = await chartState();
        return s.last === minute && s.lastClose === stored?.close ? s : undefined;
      },
      { message: "the chart did not draw the live bar", timeoutMs: 30_000 },
    );
  });

  test("switching to 5m draws the exact rollup of the stored minutes", async () => {
    await page.locator('#intervals button[data-interval="5m"]').click();
    const buckets = new Set(
      (await storedMinutes("AAPL")).map((b) => b.start - (b.start % 300_000)),
    );
    const state = await eventually(
      async () => {
        const s = await chartState();
        return s.state === "ready" && Number(s.bars) === buckets.size ? s : undefined;
      },
      {
        message: "the 5m chart did not show one bar per stored 5-minute bucket",
        timeoutMs: 30_000,
      },
    );
    const response = await fetch(
      `${run.api.url}/v1/bars/AAPL?interval=5m&from=${state.first}&to=${iso(Date.now() + MINUTE_MS)}`,
    );
    const { bars } = (await response.json()) as { bars: { start: string; close: string }[] };
    expect(state.last).toBe(bars.at(-1)?.start);
    expect(state.lastClose).toBe(bars.at(-1)?.close);
    expect(page.url()).toContain("interval=5m");
  });

  test("pipeline health shows every service with rates, lag and end-to-end latency", async () => {
    await eventually(
      async () => {
        const cards = await page
          .locator("#services article")
          .evaluateAll((els: { dataset: Dataset; textContent: string | null }[]) =>
            els.map((el) => ({ service: el.dataset.service, text: el.textContent ?? "" })),
          );
        const consumer = cards.find((c) => c.service === "consumer")?.text ?? "";
        const ingest = cards.find((c) => c.service === "ingest")?.text ?? "";
        const ready =
          cards.length === 3 &&
          cards.every((c) => c.text.includes("up")) &&
          /end-to-end p50 \/ p99 \(latest ticks, backlog included\)[\d.,]+ \/ [\d.,]+ ms/.test(
            consumer,
          ) &&
          /written\/s[\d.,]+/.test(consumer) &&
          /fetched[\d,]+fetched\/s[\d.,]+/.test(ingest);
        return ready ? cards : undefined;
      },
      { message: "pipeline health did not show all three services with rates", timeoutMs: 30_000 },
    );
  });

  test("the page logged no error, and a screenshot is saved", async () => {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, "dashboard.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe("Prometheus /metrics of every service", () => {
  const scrapes = new Map<string, Map<string, ExpositionFamily>>();

  test("every service's /metrics parses as Prometheus text with its bridged families", async () => {
    await eventually(
      async () => ((await ingestRejected()).price_jump === JUMPS ? true : undefined),
      {
        message: "ingest did not refuse the replayed price jump",
      },
    );
    const refused = await fetch(`${run.pipeline.producer.url}/v1/topics/market.ticks/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value: { ...history[0], price: "-1" } }] }),
    });
    expect(refused.status).toBe(422);
    for (const service of run.pipeline.services) {
      const response = await fetch(`${service.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
      const families = parseExposition(await response.text());
      scrapes.set(service.name, families);
      expect(families.get("process_cpu_seconds_total")?.type).toBe("counter");
    }
    expect([...scrapes.keys()].sort()).toEqual(["api", "consumer", "ingest", "producer"]);
    const consumer = scrapes.get("consumer");
    const endToEnd = consumer?.get("marketpipe_consumer_end_to_end_seconds");
    expect(endToEnd?.type).toBe("histogram");
    const count = endToEnd?.samples.find((s) => s.name.endsWith("_count"))?.value ?? 0;
    expect(count).toBeGreaterThanOrEqual(history.length);
    expect(consumer?.get("marketpipe_consumer_event_to_store_seconds")?.type).toBe("histogram");
    const lag = consumer?.get("marketpipe_consumer_partition_lag");
    expect(lag?.type).toBe("gauge");
    expect(new Set(lag?.samples.map((s) => s.labels.partition)).size).toBe(6);
    const written = consumer?.get("marketpipe_consumer_records_written_total")?.samples[0]?.value;
    expect(written).toBeGreaterThanOrEqual(history.length);
    expect(scrapes.get("producer")?.get("marketpipe_producer_delivery_latency_seconds")?.type).toBe(
      "histogram",
    );
    const rejected = scrapes.get("ingest")?.get("marketpipe_ingest_records_rejected_total");
    const jumps = rejected?.samples.find((s) => s.labels.reason === "price_jump")?.value;
    const ingestStats = await ingestRejected();
    expect(jumps).toBe(JUMPS);
    expect(ingestStats.price_jump).toBe(JUMPS);
    expect(
      scrapes
        .get("api")
        ?.get("marketpipe_api_requests_total")
        ?.samples.map((s) => s.labels.status),
    ).toContain("2xx");
    const invalid = scrapes.get("producer")?.get("marketpipe_producer_invalid_by_field_total");
    expect(invalid?.samples).toContainEqual({
      name: "marketpipe_producer_invalid_by_field_total",
      labels: { field: "price" },
      value: 1,
    });
    for (const families of scrapes.values())
      for (const name of families.keys()) expect(name).not.toMatch(/[A-Z]|AAPL|MSFT|SIMA/);
  });

  /** Ingest's `/stats` rejects by reason. */
  const ingestRejected = async () => {
    const ingest = run.pipeline.services.find((service) => service.name === "ingest");
    const stats = await ingest?.json<{ records: { rejected: Record<string, number> } }>("/stats");
    return stats?.records.rejected ?? {};
  };

  /** Counters that exist from their first event; a healthy run of this test has none. */
  const ON_FIRST_EVENT = [
    "marketpipe_producer_records_failed_total",
    "marketpipe_consumer_dead_lettered_total",
  ];

  test("the Grafana dashboard only queries metrics the services export", () => {
    const dashboard = readFileSync(
      join(import.meta.dir, "../../../monitoring/grafana/dashboards/marketpipe.json"),
      "utf8",
    );
    const queried = new Set(
      [...dashboard.matchAll(/marketpipe_[a-z0-9_]+/g)].map((m) =>
        m[0].replace(/_(bucket|sum|count)$/, ""),
      ),
    );
    expect(queried.size).toBeGreaterThan(8);
    const exported = new Set([...scrapes.values()].flatMap((families) => [...families.keys()]));
    const missing = [...queried].filter((name) => !exported.has(name));
    expect(missing.filter((name) => !ON_FIRST_EVENT.includes(name))).toEqual([]);
  });
});
