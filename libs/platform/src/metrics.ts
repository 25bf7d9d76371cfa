import { collectDefaultMetrics, Registry } from "prom-client";
import { processStats, type Stats } from "./stats.ts";

/** A value sampled when `/metrics` is scraped, e.g. the consumer's lag of one partition. */
export interface GaugeSample {
  /** Stats-style name (`partitionLag`), exported as `marketpipe_<service>_partition_lag`. */
  name: string;
  help: string;
  /** Bounded label values only (partitions, topics), never symbols. */
  labels?: Record<string, string>;
  value: number;
}

export interface MetricsSource {
  service: string;
  /** The registries to export (default: every {@link Stats} this process holds). */
  stats?: () => Stats[];
  gauges?: () => GaugeSample[];
}

export interface ServiceMetrics {
  /** The Prometheus text exposition (format 0.0.4) of the process registry. */
  render(): Promise<string>;
  readonly contentType: string;
}

/**
 * Counters whose last name segments are a label value from a bounded set: each pattern's groups
 * become the labels, the rest of the name the metric. Values past {@link MAX_LABEL_VALUES} per
 * metric are folded into `other`, so a bug cannot explode the series count.
 */
const LABELLED_COUNTERS: { pattern: RegExp; metric: string; labels: string[] }[] = [
  { pattern: /^records\.rejected\.([^.]+)$/, metric: "records.rejected", labels: ["reason"] },
  { pattern: /^rejected\.([^.]+)$/, metric: "rejected", labels: ["reason"] },
  {
    pattern: /^records\.droppedByReason\.([^.]+)$/,
    metric: "records.droppedByReason",
    labels: ["reason"],
  },
  { pattern: /^deadLettered\.([^.]+)$/, metric: "deadLettered", labels: ["reason"] },
  { pattern: /^invalidByField\.([^.]+)$/, metric: "invalidByField", labels: ["field"] },
  { pattern: /^requests\.([1-5]xx)$/, metric: "requests", labels: ["status"] },
  { pattern: /^auth\.requests\.([^.]+)$/, metric: "auth.requests", labels: ["token"] },
  { pattern: /^auth\.refused\.([^.]+)$/, metric: "auth.refused", labels: ["reason"] },
  {
    pattern: /^providers\.([^.]+)\.(ok|errors)$/,
    metric: "provider.polls",
    labels: ["provider", "outcome"],
  },
];

export const MAX_LABEL_VALUES = 64;

type Sample = { labels: Record<string, string>; value: number; metricName?: string };
interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: Map<string, Sample>;
}

let processRegistry: Registry | undefined;

/** The one prom-client registry of this process, with the default process and runtime metrics. */
export function metricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const bridges = new WeakMap<Registry, Map<string, Bridge>>();

interface Bridge {
  source: MetricsSource;
  families: Map<string, Family>;
}

/**
 * Exports the platform stats registry as Prometheus metrics, without touching instrumentation
 * points: counter `records.accepted` → `marketpipe_<service>_records_accepted_total`, counter
 * `deadLettered.invalid_value` → `marketpipe_<service>_dead_lettered_total{reason="invalid_value"}`,
 * latency `deliveryLatencyMs` → histogram `marketpipe_<service>_delivery_latency_seconds`, and the
 * source's gauges. Families are registered in the process registry the first time they appear.
 *
 * @example
 *   const metrics = serviceMetrics({ service: "consumer", gauges: () => lagSamples() });
 *   app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
 */
export function serviceMetrics(
  source: MetricsSource,
  registry: Registry = metricsRegistry(),
): ServiceMetrics {
  let byService = bridges.get(registry);
  if (!byService) {
    byService = new Map();
    bridges.set(registry, byService);
  }
  let bridge = byService.get(source.service);
  if (bridge) bridge.source = source;
  else {
    bridge = { source, families: new Map() };
    byService.set(source.service, bridge);
  }
  const state = bridge;
  return {
    contentType: registry.contentType,
    async render() {
      const families = collectFamilies(state.source);
      state.families = families;
      for (const name of families.keys()) register(registry, name, state);
      return registry.metrics();
    },
  };
}

function register(registry: Registry, name: string, state: Bridge) {
  if (registry.getSingleMetric(name)) return;
  const first = state.families.get(name);
  const current = () => state.families.get(name) ?? first;
  const metric = {
    name,
    get help() {
      return current()?.help ?? name;
    },
    get type() {
      return current()?.type ?? "gauge";
    },
    aggregator: "sum",
    collect() {},
    reset() {},
    async get() {
      const family = state.families.get(name);
      return {
        name,
        help: this.help,
        type: this.type,
        aggregator: "sum",
        values: family ? [...family.samples.values()] : [],
      };
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
}

/** What the source's stats and gauges say now, as Prometheus families keyed by metric name. */
export function collectFamilies(source: MetricsSource): Map<string, Family> {
  const prefix = `marketpipe_${snake(source.service)}_`;
  const families = new Map<string, Family>();
  const family = (name: string, type: Family["type"], help: string) => {
    let found = families.get(name);
    if (!found) {
      found = { name, type, help, samples: new Map() };
      families.set(name, found);
    }
    return found;
  };
  const add = (target: Family, sample: Sample) => {
    const key = `${sample.metricName ?? ""}|${JSON.stringify(sample.labels)}`;
    const existing = target.samples.get(key);
    if (existing) existing.value += sample.value;
    else target.samples.set(key, { ...sample, labels: { ...sample.labels } });
  };
  const stats = (source.stats ?? processStats)();

  for (const registry of stats) {
    for (const [counterName, value] of Object.entries(registry.counters())) {
      const { metric, labels } = labelledCounter(counterName);
      const name = `${prefix}${snake(metric)}_total`;
      const target = family(name, "counter", `Stats counter ${metric} of ${source.service}.`);
      add(target, { labels: boundedLabels(target, labels), value });
    }
    for (const [latencyName, latency] of registry.latencies()) {
      const name = `${prefix}${snake(latencyName.replace(/Ms$/, ""))}_seconds`;
      const target = family(name, "histogram", `${latencyName} of ${source.service}, in seconds.`);
      const histogram = latency.histogram();
      histogram.boundsMs.forEach((boundMs, i) => {
        add(target, {
          metricName: `${name}_bucket`,
          labels: { le: String(boundMs / 1000) },
          value: histogram.cumulative[i] ?? 0,
        });
      });
      add(target, {
        metricName: `${name}_bucket`,
        labels: { le: "+Inf" },
        value: histogram.count,
      });
      add(target, { metricName: `${name}_sum`, labels: {}, value: histogram.sumMs / 1000 });
      add(target, { metricName: `${name}_count`, labels: {}, value: histogram.count });
    }
  }
  for (const gauge of source.gauges?.() ?? []) {
    const target = family(`${prefix}${snake(gauge.name)}`, "gauge", gauge.help);
    add(target, { labels: boundedLabels(target, gauge.labels ?? {}), value: gauge.value });
  }
  return families;
}

function labelledCounter(name: string): { metric: string; labels: Record<string, string> } {
  for (const { pattern, metric, labels } of LABELLED_COUNTERS) {
    const match = pattern.exec(name);
    if (match) {
      return {
        metric,
        labels: Object.fromEntries(labels.map((label, i) => [label, match[i + 1] ?? ""])),
      };
    }
  }
  return { metric: name, labels: {} };
}

function boundedLabels(target: Family, labels: Record<string, string>): Record<string, string> {
  if (Object.keys(labels).length === 0) return labels;
  const key = `|${JSON.stringify(labels)}`;
  if (target.samples.has(key) || target.samples.size < MAX_LABEL_VALUES) return labels;
  return Object.fromEntries(Object.keys(labels).map((label) => [label, "other"]));
}

/** `records.deadLettered` → `records_dead_lettered`: a valid Prometheus name fragment. */
export function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
}
