/**
 * The dashboard's operations views in a real headless Chromium against the real pipeline (ingest
 * polling the simulator every second and streaming the local Alpaca stand-in, producer, Kafka,
 * consumer, api): the runs grid with each provider's schedule, a run triggered from the page, the
 * streams, a backfill planned (dry run) and confirmed from the page, the streaming job's charts,
 * and every figure of the pipeline panel checked against the services' /stats. No console error;
 * screenshots of each view are kept in the test results (ops-*.png).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, type RunningService, testResultsDir } from "@repo/testkit";
import type { BrowserContext, Page } from "playwright-core";

import { type FakeAlpaca, startFakeAlpaca } from "../../ingest/src/testing/fake-alpaca.ts";
import { fakeAlpacaEnv } from "../../ingest/src/testing/fake-alpaca-env.ts";
import { pastSession } from "../../ingest/src/testing/past-session.ts";
import {
  type ApiPipeline,
  collectPageProblems,
  launchChromium,
  startApiPipeline,
} from "./support.ts";

const resultsDir = testResultsDir;

let run: ApiPipeline;
let fake: FakeAlpaca;
let ingest: RunningService;
let browser: BrowserContext;
let profile: string;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  fake = startFakeAlpaca({ maxPage: 40 });
  // A 3 s end-to-end window, so the test sees steady points within its minute.
  run = await startApiPipeline("opsdash", { API_JOB_SAMPLE_MS: "500", API_JOB_WINDOW_MS: "3000" });
  ingest = await run.startIngest({
    CASSANDRA_KEYSPACE: run.pipeline.keyspace,
    INGEST_PROVIDERS: "simulator,alpaca",
    SIMULATOR_SYMBOLS: "MSFT,GOOG",
    SIMULATOR_RATE: "4",
    SIMULATOR_CRON: "* * * * * *",
    INGEST_LINGER_MS: "50",
    INGEST_RUNS_CHECKPOINT_MS: "300",
    ALPACA_SYMBOLS: "AAPL",
    ALPACA_REGULAR_HOURS_ONLY: "false",
    ...fakeAlpacaEnv(fake, 600),
    INGEST_STREAM_RECONNECT_MIN_MS: "50",
    INGEST_STREAM_RECONNECT_MAX_MS: "500",
    INGEST_GAP_OVERLAP_MS: "500",
  });
  profile = mkdtempSync(join(tmpdir(), "marketpipe-chromium-"));
  ({ browser, page } = await launchChromium(profile, { width: 1400, height: 1000 }));
  collectPageProblems(page, problems, { failedRequest: (url) => !url.includes("/v1/stream") });
  mkdirSync(resultsDir, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  fake?.stop();
  await run?.pipeline.close();
}, 60_000);

const until = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 20_000) =>
  eventually(check, { timeoutMs, intervalMs: 200, message, diagnose: run.pipeline.diagnose });
const shot = (name: string) =>
  page.locator("#ops-panel").screenshot({ path: join(resultsDir, `ops-${name}.png`) });
const tab = (name: string) => page.locator(`#ops-tabs button[data-view="${name}"]`).click();

describe("the operations views in Chromium on the real pipeline", () => {
  test("the runs grid shows each provider's schedule, the calendar and scheduled runs in colour", async () => {
    await page.goto(`${run.api.url}/?ops=runs`);
    const cells = page.locator('.runs-row[data-provider="simulator"] .run-cell[data-outcome="ok"]');
    await until(
      async () => ((await cells.count()) >= 3 ? true : undefined),
      "no ok runs in the grid",
    );
    const schedule = await page
      .locator('.runs-row[data-provider="simulator"] .schedule')
      .textContent();
    expect(schedule).toContain("* * * * * *");
    expect(schedule).toMatch(/next \d\d:\d\d:\d\d/);
    expect(await page.locator("#calendar").textContent()).toMatch(/next sessions: \d{4}-\d\d-\d\d/);
    // Colour and title read in one step: the grid re-renders every few seconds, and a cell replaced
    // between two reads is detached (an empty computed colour).
    const cell = await until(async () => {
      const read = await cells
        .first()
        .evaluate((el) => ({
          colour: (globalThis as unknown as Win).getComputedStyle(el).backgroundColor,
          title: el.getAttribute("title") ?? "",
          attached: el.isConnected,
        }))
        .catch(() => undefined);
      return read?.attached && read.colour !== "" ? read : undefined;
    }, "no attached ok cell to read");
    expect(cell.colour).toBe("rgb(46, 125, 50)");
    expect(cell.title).toContain("fetched 4, forwarded 4");
    await shot("runs");
  });

  test("a run triggered from the Actions view appears in the grid as a manual run", async () => {
    await tab("actions");
    const button = page.locator('button[data-action="run"][data-provider="simulator"]');
    await button.waitFor();
    await button.click();
    await until(
      async () =>
        (await page.locator("#ops-status").textContent())?.includes("simulator: run started")
          ? true
          : undefined,
      "the run was not started",
    );
    await tab("runs");
    const manual = page.locator(
      '.runs-row[data-provider="simulator"] .run-cell[data-trigger="manual"]',
    );
    await until(async () => ((await manual.count()) === 1 ? true : undefined), "no manual run");
    const row = page.locator('#runs-table tr[data-outcome="ok"]', { hasText: "(manual)" });
    await until(async () => ((await row.count()) === 1 ? true : undefined), "no manual row");
    expect(await row.textContent()).toMatch(/poll \(manual\).*ok4/);
  });

  test("the streams view shows a dropped Alpaca stream's reconnect and its recovered gap", async () => {
    await tab("streams");
    const block = page.locator('.stream[data-state="streaming"]');
    await until(async () => ((await block.count()) === 1 ? true : undefined), "no streaming block");
    fake.trades("AAPL", 20);
    fake.dropClients();
    fake.trades("AAPL", 30); // only the history has these
    await until(async () => (fake.subscribedClients === 1 ? true : undefined), "no resubscription");
    fake.trades("AAPL", 10);
    const recovered = page.locator(".stream .gaps tbody tr", { hasText: "recovered" });
    await until(
      async () => ((await recovered.count()) >= 1 ? true : undefined),
      "the page did not show the recovered gap",
      30_000,
    );
    const text = (await block.textContent()) ?? "";
    expect(text).toMatch(
      /streaming · [\d.,]+ msg\/s · last frame .* ago · 1 reconnects · gaps [1-9]\d* detected, [1-9]\d* recovered, 0 unrecovered/,
    );
    expect(await recovered.first().textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\d{4}-/);
    await shot("streams");
  });

  test("a backfill from the page: dry run first, then confirmed, with its progress", async () => {
    const { session, next } = pastSession();
    fake.trades("NVDA", 200, session.open.getTime() + 3_600_000);
    await tab("actions");
    await page.locator('#backfill-form input[name="symbols"]').fill("NVDA");
    await page.locator('#backfill-form input[name="from"]').fill(session.date);
    await page.locator('#backfill-form input[name="to"]').fill(next);
    await page.locator('#backfill-form select[name="kinds"]').selectOption("trades");
    const start = page.locator('#backfill-form button[data-action="start"]');
    const requestsBefore = fake.historyRequests.length; // the gap recovery read history too
    expect(await start.isDisabled()).toBe(true);
    await page.locator('#backfill-form button[data-action="dry-run"]').click();
    await until(
      async () =>
        (await page.locator("#backfill-plan").getAttribute("data-sessions")) === "1"
          ? true
          : undefined,
      "the dry run's plan did not show",
    );
    expect(await page.locator("#backfill-plan").textContent()).toContain("1 sessions");
    expect(fake.historyRequests.length).toBe(requestsBefore);
    expect(await start.isDisabled()).toBe(false);
    await shot("backfill-plan");
    await start.click();
    const done = page.locator('#backfills-table tr[data-status="done"]');
    await until(
      async () => ((await done.count()) === 1 ? true : undefined),
      "the backfill did not finish",
    );
    expect(await done.textContent()).toContain("1/1 units, 5 pages");
    expect(fake.historyRequests.length - requestsBefore).toBe(5);
  });

  test("the streaming job's charts show records in and written per second, batches, lag and latency", async () => {
    await tab("job");
    await until(
      async () =>
        Number(await page.locator('figure[data-chart="records"]').getAttribute("data-values")) > 10
          ? true
          : undefined,
      "no records chart",
    );
    expect(await page.locator("figure.job-figure").count()).toBe(5);
    expect(
      Number(await page.locator('figure[data-chart="records"]').getAttribute("data-max")),
    ).toBeGreaterThan(0);
    expect(
      Number(await page.locator('figure[data-chart="batches"]').getAttribute("data-values")),
    ).toBeGreaterThan(0);
    expect(await page.locator("#job-window").textContent()).toContain(
      "ticks written in the 3 s before each point",
    );
    // Steady points (no backlog through their 3 s) are drawn, at the pipeline's steady latency.
    const steady = page.locator('figure[data-chart="end-to-end"]');
    await until(
      async () => (Number(await steady.getAttribute("data-values")) > 0 ? true : undefined),
      "no steady end-to-end point",
    );
    expect(Number(await steady.getAttribute("data-max"))).toBeLessThan(5_000);
    await shot("job");
  });

  test("every figure of the pipeline panel is the /stats figure it names", async () => {
    // Settle the pipeline so the figures stand still: both providers paused, buffer and lag empty.
    for (const provider of ["simulator", "alpaca"]) {
      const response = await fetch(`${run.api.url}/v1/providers/${provider}/pause`, {
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(200);
    }
    await until(
      async () => {
        const [i, c] = await Promise.all([
          ingest.json<Stats>("/stats"),
          run.pipeline.consumer.json<Stats>("/stats"),
        ]);
        const settled =
          at(i, "buffer.size") === 0 &&
          at(c, "lag.total") === 0 &&
          at(i, "records.forwarded") === at(c, "records.consumed");
        return settled ? true : undefined;
      },
      "the pipeline did not settle",
      30_000,
    );
    const services: Record<string, RunningService> = {
      ingest,
      producer: run.pipeline.producer,
      consumer: run.pipeline.consumer,
    };
    let checked = 0;
    const mismatches = await until(async () => {
      const wrong: string[] = [];
      checked = 0;
      for (const [name, service] of Object.entries(services)) {
        const stats = await service.json<Stats>("/stats");
        const figures = await page
          .locator(`#services article[data-service="${name}"] dd[data-stat]`)
          .evaluateAll((els: { dataset: Record<string, string>; textContent: string | null }[]) =>
            els.map((el) => ({
              stat: el.dataset.stat ?? "",
              text: el.textContent ?? "",
            })),
          );
        for (const { stat, text } of figures) {
          checked += 1;
          const expected = stat
            .split(",")
            .map((path: string) => at(stats, path))
            .map((v: unknown) =>
              v === undefined || v === null
                ? "–"
                : (v as number).toLocaleString("en-US", { maximumFractionDigits: 2 }),
            );
          const shown = stat.includes(",") ? text.replace(/ ms$/, "").split(" / ") : [text];
          if (text === "no sample yet" && expected.every((v: string) => v === "–")) continue;
          if (shown.join("|") !== expected.join("|"))
            wrong.push(`${name} ${stat}: shown ${text}, /stats ${expected.join(" / ")}`);
        }
      }
      return wrong.length === 0 && checked >= 15 ? wrong : undefined;
    }, "the pipeline panel's figures did not match /stats");
    expect(mismatches).toEqual([]);
    const consumerPanel = page.locator('#services article[data-service="consumer"]');
    const consumerText = (await consumerPanel.textContent()) ?? "";
    expect(consumerText).toContain("end-to-end p50 / p99 (latest ticks, backlog included)");
    expect(consumerText).toMatch(/consumed\/s[\d.,]+/);
    // The steady figure is the streaming job's latest steady point with ticks. The job gains a
    // point every few seconds, so the page and the answer are read until both show the same one.
    const figure = (n: number | null) =>
      (n as number).toLocaleString("en-US", { maximumFractionDigits: 2 });
    const steady = await until(async () => {
      const job = (await (await fetch(`${run.api.url}/v1/streaming-job`)).json()) as {
        points: {
          steady: boolean;
          at: string;
          endToEndP50Ms: number | null;
          endToEndP99Ms: number | null;
        }[];
      };
      const point = job.points.filter((p) => p.steady && p.endToEndP99Ms !== null).at(-1);
      if (!point) return undefined;
      const expected = `end-to-end p50 / p99 (steady: ticks written in the 3 s to ${point.at.slice(11, 19)}, no backlog)${figure(point.endToEndP50Ms)} / ${figure(point.endToEndP99Ms)} ms`;
      const shown = (await consumerPanel.textContent()) ?? "";
      return shown.includes(expected) ? expected : undefined;
    }, "the pipeline panel's steady end-to-end figure never equalled /v1/streaming-job's latest steady point");
    expect(steady).toContain("steady: ticks written in the 3 s to");
    await page
      .locator("#health-panel")
      .screenshot({ path: join(resultsDir, "ops-pipeline-panel.png") });
    console.log(`pipeline panel: ${checked} figures equal to /stats`);
  });

  test("the alerts view answers (Prometheus' firing alerts or that it is unavailable) and the page logged no error", async () => {
    await tab("alerts");
    await until(
      async () => ((await page.locator("#alerts-state").count()) === 1 ? true : undefined),
      "the alerts view did not render",
    );
    // The page lists what /v1/alerts/firing answers (the stack's Prometheus: at least the services
    // of the default ports that no test runs are down), one row per alert.
    await until(async () => {
      const { alerts } = (await (await fetch(`${run.api.url}/v1/alerts/firing`)).json()) as {
        alerts: { name: string }[];
      };
      const rows = await page.locator("#alerts-table tbody tr").count();
      const shown = await page.locator("#alerts-state").getAttribute("data-firing");
      return rows === alerts.length && shown === String(alerts.length) ? true : undefined;
    }, "the alerts view did not list /v1/alerts/firing");
    await shot("alerts");
    expect(problems).toEqual([]);
  });
});

type Stats = Record<string, unknown>;
type Win = { getComputedStyle(el: unknown): { backgroundColor: string } };
function at(stats: Stats, path: string): unknown {
  let value: unknown = stats;
  for (const key of path.split(".")) value = (value as Stats | undefined)?.[key];
  return value;
}
