import { parseExposition } from "@repo/platform/exposition";
import type { Logger } from "@repo/platform/log";

/** Cumulative histogram of one latency: counts at or below each bound (ms), and the total. */
export interface Histogram {
  boundsMs: number[];
  cumulative: number[];
  count: number;
}

/** One reading of the consumer: its `/stats` counters and its `/metrics` histograms. */
export interface JobSample {
  at: number;
  consumed: number;
  written: number;
  deadLettered: number;
  lag: number;
  batches: Histogram | null;
  endToEnd: Histogram | null;
}

/** One chart point: what happened between the previous reading and this one. */
export interface JobPoint {
  at: string;
  recordsInPerSecond: number;
  writtenPerSecond: number;
  deadLettersPerSecond: number;
  lag: number;
  batchP50Ms: number | null;
  batchP99Ms: number | null;
  /** Ticks written in the `windowMs` before `at`: end-to-end (ingestTime → stored) quantiles. */
  endToEndP50Ms: number | null;
  endToEndP99Ms: number | null;
  /**
   * At every reading of that window the consumer's lag was at most {@link STEADY_LAG_RECORDS} or
   * one second of its writes over the window (records in flight, not a backlog): no start-up
   * backlog in it.
   */
  steady: boolean;
}

/** Lag that never counts as a backlog (records in flight between ingest and the consumer). */
export const STEADY_LAG_RECORDS = 100;

export interface JobHistoryOptions {
  /** Reads the consumer once; null when it does not answer. */
  read: () => Promise<JobSample | null>;
  sampleMs: number;
  /** How much history is kept (1 hour). */
  keepMs?: number;
  /** The end-to-end window of each point. */
  windowMs?: number;
  log?: Logger;
  now?: () => number;
}

/**
 * The streaming job's recent history (the Spark UI's batches view): the api reads the consumer's
 * `/stats` and `/metrics` every `sampleMs` and keeps an hour of readings, from which each point's
 * rates come (counter changes over time) and its latency quantiles (histogram bucket changes, as
 * Prometheus' `histogram_quantile(rate(…))` computes them), so a point covers a stated time window
 * and never mixes a start-up backlog into steady state unnoticed.
 *
 * @example
 *   const job = createJobHistory({ read: consumerReader(url, 2000), sampleMs: 5000 });
 *   job.start(); job.points(); // [{ at, writtenPerSecond, endToEndP99Ms, steady, … }, …]
 */
export function createJobHistory(options: JobHistoryOptions) {
  const keepMs = options.keepMs ?? 3_600_000;
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const samples: JobSample[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastOk = false;

  async function sample() {
    const reading = await options.read().catch(() => null);
    lastOk = reading !== null;
    if (!reading) return;
    samples.push(reading);
    const oldest = now() - keepMs - windowMs;
    while ((samples[0]?.at ?? Number.POSITIVE_INFINITY) < oldest) samples.shift();
  }

  function points(): JobPoint[] {
    const out: JobPoint[] = [];
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1] as JobSample;
      const b = samples[i] as JobSample;
      const seconds = (b.at - a.at) / 1000;
      if (seconds <= 0 || b.written < a.written) continue; // the consumer restarted
      let first = i - 1;
      while (first > 0 && b.at - (samples[first - 1] as JobSample).at <= windowMs) first -= 1;
      const start = samples[first] as JobSample;
      const window = samples.slice(first, i + 1);
      const restarted = window.some(
        (s, k) => k > 0 && s.written < (window[k - 1] as JobSample).written,
      );
      const e2e = restarted ? null : delta(b.endToEnd, start.endToEnd);
      const batches = delta(b.batches, a.batches);
      out.push({
        at: new Date(b.at).toISOString(),
        recordsInPerSecond: round((b.consumed - a.consumed) / seconds),
        writtenPerSecond: round((b.written - a.written) / seconds),
        deadLettersPerSecond: round((b.deadLettered - a.deadLettered) / seconds),
        lag: b.lag,
        batchP50Ms: quantile(batches, 0.5),
        batchP99Ms: quantile(batches, 0.99),
        endToEndP50Ms: quantile(e2e, 0.5),
        endToEndP99Ms: quantile(e2e, 0.99),
        steady:
          !restarted &&
          b.at - start.at >= windowMs * 0.9 &&
          window.every((s) => s.lag <= inFlight(start, b)),
      });
    }
    const since = now() - keepMs;
    return out.filter((p) => Date.parse(p.at) >= since);
  }

  return {
    sample,
    points,
    /** Whether the latest reading of the consumer succeeded. */
    consumerUp: () => lastOk,
    sampleMs: options.sampleMs,
    windowMs,
    start() {
      if (timer) return;
      void sample();
      timer = setInterval(() => void sample(), options.sampleMs);
      timer.unref?.();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export type JobHistory = ReturnType<typeof createJobHistory>;

/**
 * Reads the consumer at `url` for {@link createJobHistory}: counters and lag from `/stats`, the
 * batch and end-to-end histograms from `/metrics`.
 *
 * @example
 *   const read = consumerReader("http://127.0.0.1:3003", 2000);
 *   (await read())?.written;
 */
export function consumerReader(url: string, timeoutMs: number) {
  const base = url.replace(/\/$/, "");
  return async (): Promise<JobSample | null> => {
    const [stats, metrics] = await Promise.all([
      fetch(`${base}/stats`, { signal: AbortSignal.timeout(timeoutMs) }),
      fetch(`${base}/metrics`, { signal: AbortSignal.timeout(timeoutMs) }),
    ]);
    if (!stats.ok || !metrics.ok) {
      await Promise.allSettled([stats.body?.cancel(), metrics.body?.cancel()]);
      return null;
    }
    const body = (await stats.json()) as {
      records?: { consumed?: number; written?: number; deadLettered?: number };
      lag?: { total?: number };
    };
    const families = parseExposition(await metrics.text());
    return {
      at: Date.now(),
      consumed: body.records?.consumed ?? 0,
      written: body.records?.written ?? 0,
      deadLettered: body.records?.deadLettered ?? 0,
      lag: body.lag?.total ?? 0,
      batches: histogramOf(families, "marketpipe_consumer_batch_seconds"),
      endToEnd: histogramOf(families, "marketpipe_consumer_end_to_end_seconds"),
    };
  };
}

/** A histogram family of the exposition in milliseconds (without its +Inf bucket). */
export function histogramOf(
  families: ReturnType<typeof parseExposition>,
  name: string,
): Histogram | null {
  const family = families.get(name);
  if (!family) return null;
  const buckets = family.samples
    .filter((s) => s.name === `${name}_bucket` && s.labels.le !== "+Inf")
    .map((s) => ({ boundMs: Number(s.labels.le) * 1000, n: s.value }))
    .sort((x, y) => x.boundMs - y.boundMs);
  const count = family.samples.find((s) => s.name === `${name}_count`)?.value ?? 0;
  return {
    boundsMs: buckets.map((b) => b.boundMs),
    cumulative: buckets.map((b) => b.n),
    count,
  };
}

/** The lag a steady consumer may show: 100 records, or what it writes in one second. */
function inFlight(start: JobSample, end: JobSample): number {
  const seconds = (end.at - start.at) / 1000;
  const rate = seconds > 0 ? (end.written - start.written) / seconds : 0;
  return Math.max(STEADY_LAG_RECORDS, rate);
}

function delta(later: Histogram | null, earlier: Histogram | null): Histogram | null {
  if (!later || !earlier || later.boundsMs.length !== earlier.boundsMs.length) return null;
  return {
    boundsMs: later.boundsMs,
    cumulative: later.cumulative.map((n, i) => n - (earlier.cumulative[i] ?? 0)),
    count: later.count - earlier.count,
  };
}

/**
 * The q-quantile of a histogram, interpolated linearly inside its bucket as Prometheus'
 * `histogram_quantile` does; null without observations. Above the last bound: that bound.
 *
 * @example
 *   quantile({ boundsMs: [10, 100], cumulative: [50, 100], count: 100 }, 0.5); // 10
 */
export function quantile(histogram: Histogram | null, q: number): number | null {
  if (!histogram || histogram.count <= 0) return null;
  const rank = q * histogram.count;
  for (let i = 0; i < histogram.boundsMs.length; i++) {
    const upto = histogram.cumulative[i] ?? 0;
    if (upto >= rank) {
      const below = i === 0 ? 0 : (histogram.cumulative[i - 1] ?? 0);
      const lower = i === 0 ? 0 : (histogram.boundsMs[i - 1] ?? 0);
      const upper = histogram.boundsMs[i] ?? 0;
      const inBucket = upto - below;
      return round(inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper);
    }
  }
  return histogram.boundsMs.at(-1) ?? null;
}

const round = (x: number) => Math.round(x * 100) / 100;
