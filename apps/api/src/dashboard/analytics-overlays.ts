// Indicator overlays on the bar chart: SMA, EMA and Bollinger bands over the candles, RSI in a pane of
// its own, a legend with each one's latest value, and a table of every value shown (exact decimals,
// as /v1/indicators answers them). Values of a bar that may still change are drawn in grey and
// marked "provisional".
import {
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  LineStyle,
  type UTCTimestamp,
} from "lightweight-charts";
import {
  INDICATOR_INTERVALS,
  type IndicatorPointJson,
  indicators,
  maxSpanMs,
} from "./analytics-api.ts";

const NAMES = ["sma20", "ema12", "bb20", "rsi14"];
const PROVISIONAL = "#9aa4b2";
/** Lines drawn: one per value (a band has three). */
const LINES = [
  { key: "sma20", label: "SMA20", color: "#f5c542", pane: 0 },
  { key: "ema12", label: "EMA12", color: "#42a5f5", pane: 0 },
  { key: "bb20.upper", label: "BB20 upper", color: "#ab47bc", pane: 0, style: LineStyle.Dashed },
  { key: "bb20.middle", label: "BB20 middle", color: "#ab47bc", pane: 0, style: LineStyle.Dotted },
  { key: "bb20.lower", label: "BB20 lower", color: "#ab47bc", pane: 0, style: LineStyle.Dashed },
  { key: "rsi14", label: "RSI14", color: "#ff7043", pane: 1 },
] as const;
const COLUMNS = ["sma20", "ema12", "bb20.lower", "bb20.middle", "bb20.upper", "rsi14"];

type Series = Record<string, IndicatorPointJson[]>;

/** The value a line draws from a point (a band's lower, middle or upper). */
function pointValue(key: string, point: IndicatorPointJson): string {
  const part = key.split(".")[1] as "lower" | "middle" | "upper" | undefined;
  return typeof point.value === "string" ? point.value : part ? point.value[part] : "";
}

/**
 * Adds the overlays to `chart` (the RSI in a second pane) and keeps them to the symbol and interval
 * the chart shows: {@link show} after the chart loaded its bars, {@link refresh} when a live bar
 * came in (it re-reads the window, debounced, since analytics computes after the bar is stored).
 *
 * @example
 *   const overlays = createIndicatorOverlays(chart.api, legend, values, status);
 *   await overlays.show("AAPL", "1m", from, to);
 */
export function createIndicatorOverlays(
  chart: IChartApi,
  legend: HTMLElement,
  values: HTMLElement,
  status: HTMLElement,
) {
  const lines = new Map<string, ISeriesApi<"Line">>();
  for (const line of LINES) {
    const series = chart.addSeries(
      LineSeries,
      {
        color: line.color,
        lineWidth: line.pane === 1 ? 2 : 1,
        lineStyle: "style" in line ? line.style : LineStyle.Solid,
        priceLineVisible: false,
        lastValueVisible: line.pane === 1,
        crosshairMarkerVisible: false,
        title: line.pane === 1 ? line.label : "",
      },
      line.pane,
    );
    lines.set(line.key, series);
  }
  const rsi = lines.get("rsi14") as ISeriesApi<"Line">;
  for (const level of [70, 30])
    rsi.createPriceLine({
      price: level,
      color: "#5c6676",
      lineStyle: LineStyle.Dotted,
      lineWidth: 1,
      axisLabelVisible: true,
      title: "",
    });
  chart.panes()[1]?.setHeight(120);

  let shown: { symbol: string; interval: string; fromMs: number } | undefined;
  let generation = 0;
  let enabled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function clear(text: string) {
    for (const series of lines.values()) series.setData([]);
    legend.replaceChildren();
    values.replaceChildren();
    status.textContent = text;
    legend.dataset.state = "off";
  }

  function draw(series: Series) {
    for (const line of LINES) {
      const name = line.key.split(".")[0] as string;
      const points = series[name] ?? [];
      (lines.get(line.key) as ISeriesApi<"Line">).setData(
        points.map((p) => ({
          time: (Date.parse(p.time) / 1000) as UTCTimestamp,
          value: Number(pointValue(line.key, p)),
          ...(p.provisional ? { color: PROVISIONAL } : {}),
        })),
      );
    }
    legend.replaceChildren(
      ...LINES.map((line) => {
        const points = series[line.key.split(".")[0] as string] ?? [];
        const last = points.at(-1);
        const drawn = (lines.get(line.key) as ISeriesApi<"Line">).data();
        const item = document.createElement("span");
        item.className = "legend-item";
        item.style.color = line.color;
        item.dataset.name = line.key;
        item.dataset.points = String(points.length);
        item.dataset.chartPoints = String(drawn.length);
        item.dataset.chartLast = String(
          (drawn.at(-1) as { value?: number } | undefined)?.value ?? "",
        );
        item.dataset.last = last ? pointValue(line.key, last) : "";
        item.dataset.provisional = String(last?.provisional ?? false);
        item.textContent = `${line.label} ${last ? pointValue(line.key, last) : "—"}${last?.provisional ? " · provisional" : ""}`;
        if (last?.provisional) item.classList.add("provisional");
        return item;
      }),
    );
    legend.dataset.state = "ready";
    renderTable(series);
  }

  function renderTable(series: Series) {
    const byTime = new Map<string, Map<string, IndicatorPointJson>>();
    for (const key of COLUMNS)
      for (const point of series[key.split(".")[0] as string] ?? []) {
        const row = byTime.get(point.time) ?? new Map<string, IndicatorPointJson>();
        row.set(key, point);
        byTime.set(point.time, row);
      }
    const rows = [...byTime.entries()].sort((a, b) => (a[0] < b[0] ? 1 : -1));
    const table = document.createElement("table");
    table.className = "console-table";
    table.innerHTML = `<thead><tr><th>Bar (UTC)</th>${COLUMNS.map((c) => `<th>${c}</th>`).join("")}</tr></thead>`;
    const body = document.createElement("tbody");
    for (const [time, row] of rows) {
      const tr = document.createElement("tr");
      tr.dataset.time = time;
      const provisional = [...row.values()].some((p) => p.provisional);
      tr.dataset.provisional = String(provisional);
      if (provisional) tr.classList.add("provisional");
      const head = document.createElement("td");
      head.textContent = `${time.slice(0, 10)} ${time.slice(11, 16)}${provisional ? " · provisional" : ""}`;
      tr.append(head);
      for (const key of COLUMNS) {
        const td = document.createElement("td");
        td.dataset.name = key;
        const point = row.get(key);
        td.textContent = point ? pointValue(key, point) : "";
        tr.append(td);
      }
      body.append(tr);
    }
    table.append(body);
    const summary = document.createElement("summary");
    summary.textContent = `Indicator values (${rows.length} bars; grey and "provisional": the bar may still change)`;
    const details = document.createElement("details");
    details.id = "indicator-values";
    details.append(summary, table);
    values.replaceChildren(details);
  }

  async function load() {
    if (!shown || !enabled) return;
    const { symbol, interval } = shown;
    const mine = ++generation;
    const to = Date.now() + 3_600_000;
    const from = Math.max(shown.fromMs, to - maxSpanMs(interval));
    try {
      const answer = await indicators(symbol, interval, NAMES, new Date(from), new Date(to));
      if (mine !== generation) return;
      draw(answer.series);
      status.textContent = "";
    } catch (error) {
      if (mine === generation) status.textContent = `indicators: ${(error as Error).message}`;
    }
  }

  return {
    /** Whether analytics answers (the overlays stay empty while it does not). */
    setEnabled(on: boolean) {
      if (on === enabled) return;
      enabled = on;
      if (on) void load();
      else clear("indicators: analytics unavailable");
    },
    /** Shows the indicators of `symbol` at `interval` from `fromMs` (the chart's first bar) on. */
    async show(symbol: string, interval: string, fromMs: number) {
      shown = { symbol, interval, fromMs };
      if (!INDICATOR_INTERVALS.includes(interval)) {
        generation += 1;
        return clear(`indicators: not computed for ${interval}`);
      }
      if (!enabled) return clear("indicators: analytics unavailable");
      await load();
    },
    /** A live bar of `symbol` arrived: re-read the window a moment later. */
    refresh(symbol: string) {
      if (shown?.symbol !== symbol || !INDICATOR_INTERVALS.includes(shown.interval)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 700);
    },
  };
}
