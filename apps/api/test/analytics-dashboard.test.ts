/**
 * The dashboard's analytics in a real headless Chromium against the real pipeline (producer, Kafka,
 * consumer, analytics, api): the indicator overlays and RSI pane show exactly what /v1/indicators
 * answers (the open bar's values marked provisional), and a rule created from the form fires on a
 * price cross and appears in the alert list live. No console error; screenshots analytics-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, testResultsDir } from "@repo/testkit";
import type { BrowserContext, Page } from "playwright-core";
import type { AlertRulesJson, IndicatorsJson } from "../src/http/analytics-responses.ts";
import type { BarsJson } from "../src/http/responses.ts";
import {
  type AnalyticsPipeline,
  analyticsSawMinute,
  HISTORY_END_MS,
  sessionTicks,
  startAnalyticsPipeline,
  tradeNow,
} from "./analytics-support.ts";
import { collectPageProblems, launchChromium } from "./support.ts";

const resultsDir = testResultsDir;
const SYMBOL = "NVDA";
const COLUMNS = ["sma20", "ema12", "bb20.lower", "bb20.middle", "bb20.upper", "rsi14"];

let run: AnalyticsPipeline;
let browser: BrowserContext;
let profile: string;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  run = await startAnalyticsPipeline("anadash");
  // 110 minutes of yesterday's session (22 5-minute bars), its last bar still provisional.
  const ticks = sessionTicks(SYMBOL, 110, 7);
  await run.post(ticks);
  await run.stored(ticks.length);
  profile = mkdtempSync(join(tmpdir(), "marketpipe-chromium-"));
  ({ browser, page } = await launchChromium(profile, { width: 1400, height: 1100 }));
  // The analytics routes must all answer; the other panels' routes (ingest's, which is not running
  // here, and the Kafka console's) are checked by their own tests. Chromium's "Failed to load
  // resource" line for an answer over 400 is judged by this response check instead.
  const analyticsRoutes = /^\/v1\/(indicators|analytics|alerts(?!\/firing))\b/;
  collectPageProblems(page, problems, {
    badResponse: (url) => analyticsRoutes.test(new URL(url).pathname),
    failedRequest: (url) => {
      // A stream open at a navigation is aborted by it.
      const path = new URL(url).pathname;
      return analyticsRoutes.test(path) && path !== "/v1/alerts/stream";
    },
  });
  mkdirSync(resultsDir, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  await run?.close();
}, 60_000);

const until = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 60_000) =>
  eventually(check, { timeoutMs, intervalMs: 250, message, diagnose: run.pipeline.diagnose });

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${run.api.url}${path}`);
  if (response.status !== 200)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** An element as the page's scripts see it (this file has no DOM types). */
type Node = {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelectorAll(selector: string): Node[];
};

/** The page's table of indicator values: bar time → column → exact decimal. */
const tableOnPage = () =>
  page.$$eval("#indicator-values tbody tr", (rows) =>
    (rows as unknown as Node[]).map((row) => ({
      time: row.dataset.time ?? "",
      provisional: row.dataset.provisional === "true",
      cells: Object.fromEntries(
        [...row.querySelectorAll("td[data-name]")]
          .map((td) => [td.dataset.name, td.textContent ?? ""])
          .filter(([, value]) => value !== ""),
      ) as Record<string, string>,
    })),
  );

/** The legend: per drawn line, its points in the chart and the last value (API text and drawn number). */
const legendOnPage = () =>
  page.$$eval("#indicator-legend .legend-item", (items) =>
    (items as unknown as Node[]).map(
      (item) =>
        ({ ...item.dataset, text: item.textContent ?? "" }) as Record<string, string | undefined>,
    ),
  );

/** What /v1/indicators answers for the page's window, as the table shows it. */
function expectedRows(answer: IndicatorsJson) {
  const rows = new Map<string, { provisional: boolean; cells: Record<string, string> }>();
  for (const column of COLUMNS) {
    const [name, part] = column.split(".") as [string, "lower" | "middle" | "upper" | undefined];
    for (const point of answer.series[name] ?? []) {
      const row = rows.get(point.time) ?? { provisional: false, cells: {} };
      row.cells[column] =
        typeof point.value === "string" ? point.value : point.value[part ?? "middle"];
      row.provisional ||= point.provisional;
      rows.set(point.time, row);
    }
  }
  return rows;
}

describe("analytics on the dashboard in Chromium on the real pipeline", () => {
  for (const interval of ["1m", "5m"] as const)
    test(`the ${interval} overlays and RSI pane show /v1/indicators' values, the open bar marked provisional`, async () => {
      await page.goto(`${run.api.url}/?symbol=${SYMBOL}&interval=${interval}`);
      await until(
        async () =>
          (await page.locator("#indicator-legend").getAttribute("data-state")) === "ready" &&
          (await page.locator("#indicator-values tbody tr").count()) > 0
            ? true
            : undefined,
        "the overlays did not load",
      );
      const shown = await tableOnPage();
      const oldest = shown.at(-1)?.time as string;
      const answer = await get<IndicatorsJson>(
        `/v1/indicators/${SYMBOL}?interval=${interval}&names=sma20,ema12,bb20,rsi14&from=${oldest}&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
      );
      const expected = expectedRows(answer);
      expect(shown.length).toBe(expected.size);
      for (const row of shown) {
        const want = expected.get(row.time);
        expect([row.time, row.provisional, row.cells]).toEqual([
          row.time,
          want?.provisional,
          want?.cells,
        ] as never);
      }
      // Newest first: the open bar is provisional, on the page as in the api.
      expect(shown[0]?.provisional).toBe(true);
      expect(await page.locator("#indicator-values tbody tr").first().textContent()).toContain(
        "provisional",
      );
      const legend = await legendOnPage();
      expect(legend.map((item) => item.name)).toEqual([
        "sma20",
        "ema12",
        "bb20.upper",
        "bb20.middle",
        "bb20.lower",
        "rsi14",
      ]);
      for (const item of legend) {
        const [name, part] = (item.name as string).split(".") as [string, string | undefined];
        const points = answer.series[name] ?? [];
        const last = points.at(-1);
        const value = last?.value;
        const lastText =
          typeof value === "string" ? value : (value as Record<string, string>)[part as string];
        expect(points.length).toBeGreaterThan(0);
        expect(Number(item.points)).toBe(points.length);
        expect(Number(item.chartPoints)).toBe(points.length);
        expect(item.last).toBe(lastText);
        expect(Number(item.chartLast)).toBe(Number(lastText));
        expect(item.provisional).toBe("true");
        expect(item.text).toContain("provisional");
      }
      // The RSI has a pane of its own below the candles: two pane rows, a separator, the time axis.
      expect(await page.locator("#chart table tr").count()).toBe(4);
      await page
        .locator("#chart-panel")
        .screenshot({ path: join(resultsDir, `analytics-overlays-${interval}.png`) });
    });

  test("at 1d the overlays load from /v1/indicators?interval=1d (one session here: too short for the drawn lengths, so no points, and nothing refused)", async () => {
    const daily: number[] = [];
    const seen = (response: { url(): string; status(): number }) => {
      const url = new URL(response.url());
      if (url.pathname.startsWith("/v1/indicators/") && url.searchParams.get("interval") === "1d")
        daily.push(response.status());
    };
    page.on("response", seen);
    try {
      await page.goto(`${run.api.url}/?symbol=${SYMBOL}&interval=1d`);
      await until(
        async () =>
          (await page.locator("#indicator-legend").getAttribute("data-state")) === "ready" &&
          daily.length > 0
            ? true
            : undefined,
        "the 1d overlays did not load",
      );
    } finally {
      page.off("response", seen);
    }
    expect(daily.every((status) => status === 200)).toBe(true);
    const answer = await get<IndicatorsJson>(
      `/v1/indicators/${SYMBOL}?interval=1d&names=sma20,ema12,bb20,rsi14`,
    );
    const times = new Set(
      Object.values(answer.series).flatMap((points) => points.map((p) => p.time)),
    );
    expect(await page.locator("#indicator-values tbody tr").count()).toBe(times.size);
    expect(await page.locator("#indicator-status").textContent()).not.toContain("not computed");
    await page
      .locator("#chart-panel")
      .screenshot({ path: join(resultsDir, "analytics-overlays-1d.png") });
  });

  test("a rule created from the form fires on a price cross and the alert appears in the list live; delete removes it", async () => {
    await page.goto(`${run.api.url}/?symbol=${SYMBOL}&interval=1m`);
    await until(
      async () =>
        (await page.locator("#alerts-status").textContent()) === "live" ? true : undefined,
      "the alerts panel did not go live",
    );
    const { bars } = await get<BarsJson>(
      `/v1/bars/${SYMBOL}?interval=1m&from=${new Date(HISTORY_END_MS - 600_000).toISOString()}&to=${new Date(HISTORY_END_MS).toISOString()}`,
    );
    const close = Number(bars.at(-1)?.close);
    const level = Math.ceil(close) + 5;

    await page.locator("#rule-symbol").fill(SYMBOL);
    await page.locator("#rule-kind").selectOption("price_cross");
    await page.locator('#rule-fields input[name="level"]').fill(String(level));
    await page.locator('#rule-fields input[name="direction"]').fill("up");
    await page.locator("#rule-create").click();
    const row = page.locator("#rules-table tbody tr");
    await until(async () => ((await row.count()) === 1 ? true : undefined), "no rule listed");
    expect(await page.locator("#alerts-status").textContent()).toContain(`created for ${SYMBOL}`);
    const ruleId = (await row.getAttribute("data-rule")) as string;
    const { rules } = await get<AlertRulesJson>("/v1/alerts/rules");
    expect(rules.map((r) => [r.id, r.symbol, r.condition])).toEqual([
      [ruleId, SYMBOL, { kind: "price_cross", level: String(level), direction: "up" }],
    ]);

    // Below the level first (the rule arms on it), then through it.
    const arm = tradeNow(SYMBOL, `${level - 3}.000000`, 2_000_001);
    await run.post([arm]);
    await until(
      async () => ((await analyticsSawMinute(run.api.url, arm)) ? true : undefined),
      "analytics did not read the bar below the level",
    );
    await run.post([tradeNow(SYMBOL, `${level + 1}.250000`, 2_000_002)]);
    const firing = page.locator(`#alert-list li.firing[data-rule="${ruleId}"]`);
    await until(async () => ((await firing.count()) === 1 ? true : undefined), "no alert listed");
    expect(await firing.textContent()).toContain(`${SYMBOL} crossed up through ${level}`);
    await page
      .locator("#alerts-panel")
      .screenshot({ path: join(resultsDir, "analytics-alerts.png") });

    await row.locator('button[data-action="delete-rule"]').click();
    await until(async () => ((await row.count()) === 0 ? true : undefined), "the rule stayed");
    expect((await get<AlertRulesJson>("/v1/alerts/rules")).rules).toEqual([]);
    await page.screenshot({ path: join(resultsDir, "analytics-page.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});
