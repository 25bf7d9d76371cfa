import { createAlerts } from "./analytics-alerts.ts";
import { createIndicatorOverlays } from "./analytics-overlays.ts";
import {
  type Bar,
  INTERVAL_MS,
  type Interval,
  pipeline,
  type Quote,
  streamingJob,
  symbols,
} from "./api.ts";
import { createBoard } from "./board.ts";
import { createBarChart } from "./chart.ts";
import { createConsole } from "./console.ts";
import { createHealth } from "./health.ts";
import { createOps } from "./ops.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const connection = $<HTMLSpanElement>("connection");
const picker = $<HTMLSelectElement>("symbol");
const chart = createBarChart($("chart"), $("chart-status"));
const health = createHealth($("services"));
const overlays = createIndicatorOverlays(
  chart.api,
  $("indicator-legend"),
  $("indicator-table"),
  $("indicator-status"),
);
const latest = new Map<string, string>();
let symbol = params.get("symbol")?.toUpperCase() ?? "";
let interval: Interval =
  (params.get("interval") as Interval) in INTERVAL_MS ? (params.get("interval") as Interval) : "1m";

const board = createBoard(
  $<HTMLTableElement>("quotes").tBodies[0] as HTMLTableSectionElement,
  $("quotes-empty"),
  (name) => select(name, interval),
);

function addSymbol(name: string) {
  if ([...picker.options].some((o) => o.value === name)) return;
  const option = new Option(name, name);
  const after = [...picker.options].find((o) => o.value > name);
  picker.add(option, after ?? null);
}

function select(name: string, every: Interval) {
  symbol = name;
  interval = every;
  picker.value = name;
  board.select(name);
  for (const button of document.querySelectorAll<HTMLButtonElement>("#intervals button"))
    button.setAttribute("aria-pressed", String(button.dataset.interval === every));
  history.replaceState(null, "", `?symbol=${encodeURIComponent(name)}&interval=${every}`);
  chart
    .show(name, every, latest.get(name))
    .then((fromMs) => (fromMs === undefined ? undefined : overlays.show(name, every, fromMs)))
    .catch(report);
}

function report(error: unknown) {
  $("chart-status").textContent = `error: ${(error as Error).message}`;
}

picker.addEventListener("change", () => select(picker.value, interval));
for (const button of document.querySelectorAll<HTMLButtonElement>("#intervals button"))
  button.addEventListener(
    "click",
    () => symbol && select(symbol, button.dataset.interval as Interval),
  );

function connect() {
  const source = new EventSource("/v1/stream");
  source.addEventListener("open", () => {
    connection.dataset.state = "open";
    connection.textContent = "live";
  });
  source.addEventListener("error", () => {
    connection.dataset.state = "error";
    connection.textContent = "reconnecting…";
  });
  // The api ends a stream with one of these (and a retry: the browser honours) when it refuses,
  // drops or shuts it down; the EventSource then reconnects by itself.
  const endings = {
    busy: "busy, retrying…",
    dropped: "too slow, reconnecting…",
    shutdown: "api restarting…",
  };
  for (const [name, text] of Object.entries(endings))
    source.addEventListener(name, () => {
      connection.dataset.state = "error";
      connection.textContent = text;
    });
  source.addEventListener("quote", (event) => {
    const quote = JSON.parse((event as MessageEvent<string>).data) as Quote;
    latest.set(quote.symbol, quote.eventTime);
    board.update(quote);
    addSymbol(quote.symbol);
    if (!symbol) select(quote.symbol, interval);
  });
  source.addEventListener("bar", (event) => {
    const bar = JSON.parse((event as MessageEvent<string>).data) as Bar & { symbol: string };
    chart.live(bar.symbol, bar).catch(report);
    overlays.refresh(bar.symbol);
  });
}

async function refreshHealth() {
  try {
    const [answer, job] = await Promise.all([pipeline(), streamingJob().catch(() => undefined)]);
    const point = job?.points.filter((p) => p.steady && p.endToEndP99Ms !== null).at(-1);
    health.render(
      answer.services,
      point && job
        ? {
            windowS: job.windowMs / 1000,
            p50: point.endToEndP50Ms,
            p99: point.endToEndP99Ms,
            at: point.at,
          }
        : undefined,
    );
  } catch (error) {
    $("services").textContent = `pipeline health unavailable: ${(error as Error).message}`;
  }
}

async function start() {
  const known = await symbols().catch(() => ({ symbols: [] }));
  for (const entry of known.symbols) {
    latest.set(entry.symbol, entry.latestEventTime);
    addSymbol(entry.symbol);
  }
  const first = symbol || known.symbols[0]?.symbol;
  if (first) select(first, interval);
  connect();
  await refreshHealth();
  setInterval(refreshHealth, 2_000);
}

void start();
createConsole($("console-panel"));
createOps($("ops-panel"));
createAlerts($("alerts-panel"), {
  symbol: () => symbol,
  onAvailability: (up) => overlays.setEnabled(up),
});
