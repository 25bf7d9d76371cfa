/**
 * The one stats registry: monotonic counters and latency windows, rendered by `GET /stats`.
 *
 * @example
 *   const stats = createStats();
 *   stats.counter("records.accepted").add(5);
 *   stats.latency("deliveryLatencyMs").record(12.5);
 *   stats.latency("deliveryLatencyMs").summary(); // { count, p50, p99 }
 */
export interface Counter {
  add(n?: number): void;
  readonly value: number;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
}

/**
 * The median and 99th percentile of a latency, as `/stats` bodies show them.
 *
 * @example
 *   quantiles(stats.latency("deliveryLatencyMs").summary()); // { p50: 3.1, p99: 18.5 }
 */
export const quantiles = ({ p50, p99 }: LatencySummary) => ({ p50, p99 });

/** Every sample ever recorded, counted into fixed buckets (what a Prometheus histogram exports). */
export interface LatencyHistogram {
  /** Upper bounds in milliseconds, ascending; a last implicit bucket is +Inf. */
  boundsMs: readonly number[];
  /** Samples ≤ each bound (cumulative), one per bound. */
  cumulative: number[];
  sumMs: number;
  count: number;
}

export interface Latency {
  record(ms: number): void;
  summary(): LatencySummary;
  histogram(): LatencyHistogram;
}

export interface Stats {
  counter(name: string): Counter;
  latency(name: string, window?: number): Latency;
  /** Counter values by name, e.g. `{ "records.accepted": 5 }`. */
  counters(prefix?: string): Record<string, number>;
  /** Every latency by name. */
  latencies(): ReadonlyMap<string, Latency>;
  readonly startedAt: number;
  uptimeSeconds(): number;
}

/** Histogram bucket bounds (ms) shared by every latency: 1 ms to 5 min. */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];

const live = new Set<WeakRef<Stats>>();

/**
 * Every registry this process created and still holds: what `GET /metrics` exports. A service
 * creates one; a test process may hold several, whose same-named counters are then added up.
 */
export function processStats(): Stats[] {
  const out: Stats[] = [];
  for (const ref of live) {
    const stats = ref.deref();
    if (stats) out.push(stats);
    else live.delete(ref);
  }
  return out;
}

export function createStats(now: () => number = Date.now): Stats {
  const counters = new Map<string, { value: number }>();
  const latencies = new Map<string, Latency>();
  const startedAt = now();
  const stats: Stats = {
    startedAt,
    counter(name) {
      let cell = counters.get(name);
      if (!cell) {
        cell = { value: 0 };
        counters.set(name, cell);
      }
      const target = cell;
      return {
        add(n = 1) {
          target.value += n;
        },
        get value() {
          return target.value;
        },
      };
    },
    latency(name, window = 4096) {
      let latency = latencies.get(name);
      if (!latency) {
        latency = slidingLatency(window, now);
        latencies.set(name, latency);
      }
      return latency;
    },
    counters(prefix = "") {
      const out: Record<string, number> = {};
      for (const [name, cell] of counters)
        if (name.startsWith(prefix)) out[name.slice(prefix.length)] = cell.value;
      return out;
    },
    latencies: () => latencies,
    uptimeSeconds() {
      return Math.round((now() - startedAt) / 1000);
    },
  };
  live.add(new WeakRef(stats));
  return stats;
}

/**
 * How long a full window's quantiles are reused: a busy window (more samples than it holds) is
 * re-selected at most this often however often `/stats` is read.
 */
const BUSY_SUMMARY_REUSE_MS = 500;

/**
 * Quantiles over the most recent `window` samples (plus the total count ever recorded), and every
 * sample counted into {@link LATENCY_BOUNDS_MS} buckets. Once more samples have come than the
 * window holds, its quantiles are selected again at most every {@link BUSY_SUMMARY_REUSE_MS} (the
 * count is always current): a window that full spans seconds of traffic, and selecting two ranks
 * of 16,384 samples at every read was 1–2 % of a draining consumer's CPU while a monitor read
 * `/stats` twice a second. Below that the quantiles are exact at every read.
 */
function slidingLatency(window: number, now: () => number): Latency {
  const samples = new Float64Array(window);
  const buckets = new Float64Array(LATENCY_BOUNDS_MS.length);
  let count = 0;
  let sumMs = 0;
  /** The last quantiles selected: after how many samples, and when. */
  let selected: { count: number; at: number; p50: number; p99: number } | undefined;
  return {
    record(ms) {
      samples[count % window] = ms;
      count += 1;
      sumMs += ms;
      // A loop, not findIndex with a closure: it runs once per record on the consumers' hot paths.
      for (let bucket = 0; bucket < LATENCY_BOUNDS_MS.length; bucket += 1) {
        if (ms <= (LATENCY_BOUNDS_MS[bucket] as number)) {
          buckets[bucket] = (buckets[bucket] ?? 0) + 1;
          break;
        }
      }
    },
    histogram() {
      let running = 0;
      const cumulative = Array.from(buckets, (n) => {
        running += n;
        return running;
      });
      return { boundsMs: LATENCY_BOUNDS_MS, cumulative, sumMs, count };
    },
    summary() {
      const n = Math.min(count, window);
      if (n === 0) return { count, p50: null, p99: null };
      const at = now();
      if (
        selected &&
        (selected.count === count ||
          (count > window && at - selected.at < BUSY_SUMMARY_REUSE_MS && at >= selected.at))
      ) {
        return { count, p50: selected.p50, p99: selected.p99 };
      }
      // Selection, not a sort: a /stats poll reads two ranks of up to 16,384 samples (a sort of
      // every window was ≈ 1 % of a busy consumer's CPU at two polls a second).
      const copy = samples.slice(0, n);
      const rank = (q: number) => Math.min(n - 1, Math.ceil(q * n) - 1);
      const p99 = selectRank(copy, rank(0.99), 0, n - 1);
      // After selecting the p99 rank, every sample below it is at most p99: p50 is among them.
      const p50 = selectRank(copy, rank(0.5), 0, rank(0.99));
      selected = { count, at, p50: round(p50), p99: round(p99) };
      return { count, p50: selected.p50, p99: selected.p99 };
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/**
 * The value of rank `k` (0-based) of `values[lo..hi]` as if sorted ascending, found in place by
 * quickselect (Hoare's partition, median-of-three pivot): afterwards `values[lo..k]` hold the
 * smallest values and `values[k]` is the answer. Linear on average, where a sort is n log n.
 */
export function selectRank(values: Float64Array, k: number, lo: number, hi: number): number {
  let left = lo;
  let right = hi;
  while (right > left) {
    const middle = (left + right) >>> 1;
    const a = values[left] as number;
    const b = values[middle] as number;
    const c = values[right] as number;
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // median of three
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i += 1;
      while ((values[j] as number) > pivot) j -= 1;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k] as number;
  }
  return values[k] as number;
}
