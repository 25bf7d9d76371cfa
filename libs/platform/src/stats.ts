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

export interface Latency {
  record(ms: number): void;
  summary(): LatencySummary;
}

export interface Stats {
  counter(name: string): Counter;
  latency(name: string, window?: number): Latency;
  /** Counter values by name, e.g. `{ "records.accepted": 5 }`. */
  counters(prefix?: string): Record<string, number>;
  readonly startedAt: number;
  uptimeSeconds(): number;
}

export function createStats(now: () => number = Date.now): Stats {
  const counters = new Map<string, { value: number }>();
  const latencies = new Map<string, Latency>();
  const startedAt = now();
  return {
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
        latency = slidingLatency(window);
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
    uptimeSeconds() {
      return Math.round((now() - startedAt) / 1000);
    },
  };
}

/** Quantiles over the most recent `window` samples (plus the total count ever recorded). */
function slidingLatency(window: number): Latency {
  const samples = new Float64Array(window);
  let count = 0;
  return {
    record(ms) {
      samples[count % window] = ms;
      count += 1;
    },
    summary() {
      const n = Math.min(count, window);
      if (n === 0) return { count, p50: null, p99: null };
      const sorted = Array.from(samples.subarray(0, n)).sort((a, b) => a - b);
      const at = (q: number) => round(sorted[Math.min(n - 1, Math.ceil(q * n) - 1)] ?? 0);
      return { count, p50: at(0.5), p99: at(0.99) };
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
