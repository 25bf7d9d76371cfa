import {
  CandlestickSeries,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from "lightweight-charts";
import { type Bar, bars as fetchBars, INTERVAL_MS, type Interval } from "./api.ts";

const UP = "#26a69a";
const DOWN = "#ef5350";
/** Bars shown when a symbol is opened. */
const WINDOW_BARS = 300;

/**
 * The candlestick + volume chart of one symbol and interval (TradingView lightweight-charts). Live
 * 1-minute bars from the stream update it: directly at 1m, and above by re-reading the affected
 * bucket, which the api rolls up exactly from the stored minutes.
 */
export function createBarChart(container: HTMLElement, status: HTMLElement) {
  const chart: IChartApi = createChart(container, {
    autoSize: true,
    layout: { background: { color: "#161a21" }, textColor: "#d0d6de" },
    grid: { vertLines: { color: "#222834" }, horzLines: { color: "#222834" } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const candles: ISeriesApi<"Candlestick"> = chart.addSeries(CandlestickSeries, {
    upColor: UP,
    downColor: DOWN,
    borderVisible: false,
    wickUpColor: UP,
    wickDownColor: DOWN,
  });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
  const volume: ISeriesApi<"Histogram"> = chart.addSeries(HistogramSeries, {
    priceFormat: { type: "volume" },
    priceScaleId: "volume",
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });

  let symbol: string | undefined;
  let interval: Interval = "1m";
  let generation = 0;
  const shown = new Map<number, Bar>();

  function draw() {
    const ordered = [...shown.entries()].sort((a, b) => a[0] - b[0]);
    candles.setData(ordered.map(([ms, bar]) => candle(ms, bar)));
    volume.setData(ordered.map(([ms, bar]) => volumeBar(ms, bar)));
    describe(ordered.map(([, bar]) => bar));
  }

  function put(bar: Bar) {
    const ms = Date.parse(bar.start);
    const last = Math.max(-1, ...shown.keys());
    shown.set(ms, bar);
    if (ms >= last) {
      candles.update(candle(ms, bar));
      volume.update(volumeBar(ms, bar));
      describe([...shown.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b));
    } else draw();
  }

  function describe(ordered: Bar[]) {
    container.dataset.bars = String(ordered.length);
    container.dataset.first = ordered[0]?.start ?? "";
    container.dataset.last = ordered.at(-1)?.start ?? "";
    container.dataset.lastClose = ordered.at(-1)?.close ?? "";
    status.textContent = symbol ? `${symbol} · ${interval} · ${ordered.length} bars` : "";
  }

  return {
    /** The chart itself (the indicator overlays draw on it). */
    api: chart,
    /** Loads the bars of `name` ending at its latest event; resolves the window's start (ms). */
    async show(name: string, every: Interval, latestEventTime: string | undefined) {
      symbol = name;
      interval = every;
      const mine = ++generation;
      const step = INTERVAL_MS[every];
      const end = latestEventTime ? Date.parse(latestEventTime) + 1 : Date.now();
      const from = new Date(end - WINDOW_BARS * step);
      status.textContent = `${name} · ${every} · loading…`;
      container.dataset.state = "loading";
      const { bars } = await fetchBars(name, every, from, new Date(end));
      if (mine !== generation) return undefined;
      shown.clear();
      for (const bar of bars) shown.set(Date.parse(bar.start), bar);
      draw();
      chart.timeScale().fitContent();
      container.dataset.state = "ready";
      return from.getTime();
    },
    /** A 1-minute bar from the stream. */
    async live(name: string, bar: Bar) {
      if (name !== symbol || container.dataset.state !== "ready") return;
      if (interval === "1m") return put(bar);
      const step = INTERVAL_MS[interval];
      const start = Math.floor(Date.parse(bar.start) / step) * step;
      const mine = generation;
      const { bars } = await fetchBars(name, interval, new Date(start), new Date(start + step));
      if (mine === generation) for (const rolled of bars) put(rolled);
    },
  };
}

const time = (ms: number) => (ms / 1000) as UTCTimestamp;

function candle(ms: number, bar: Bar) {
  return {
    time: time(ms),
    open: Number(bar.open),
    high: Number(bar.high),
    low: Number(bar.low),
    close: Number(bar.close),
  };
}

function volumeBar(ms: number, bar: Bar) {
  const up = Number(bar.close) >= Number(bar.open);
  return { time: time(ms), value: bar.volume, color: up ? `${UP}80` : `${DOWN}80` };
}
