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
  /** The service's labelled counter families ({@link labelledCounter}). */
  counters?: readonly LabelledCounter[];
}

export interface ServiceMetrics {
  /** The Prometheus text exposition (format 0.0.4) of the process registry. */
  render(): Promise<string>;
  readonly contentType: string;
}

/** The label names written in braces in a counter template: `providers.{provider}.{outcome}` → `"provider" | "outcome"`. */
export type LabelsOf<T extends string> = T extends `${string}{${infer L}}${infer Rest}`
  ? L | LabelsOf<Rest>
  : never;

/**
 * A family of stats counters whose name segments are label values from a bounded set, declared
 * by the service that writes them (see {@link labelledCounter}).
 */
export interface LabelledCounter<L extends string = string> {
  /** Stats-style metric name, exported as `marketpipe_<service>_<snake name>_total`. */
  readonly metric: string;
  readonly help: string;
  readonly labels: readonly L[];
  /** The stats counter name of one label set: `{ reason: "invalid_value" }` → `deadLettered.invalid_value`. */
  name(labels: Record<L, string>): string;
  /** The label values of a stats counter name of this family, or undefined. */
  match(counterName: string): Record<L, string> | undefined;
}

/**
 * Declares a family of labelled counters. `counter` is the stats counter name with each label in
 * braces; a label matches one name segment, or only the listed `values`. The exported metric is
 * `metric`, by default the name before the first label. Pass the families to `createServiceApp`
 * (`counters`); counters not declared are exported with no labels. Values past
 * {@link MAX_LABEL_VALUES} per family are folded into `other`, so a bug cannot explode the series.
 *
 * @example
 *   const deadLettered = labelledCounter({ counter: "deadLettered.{reason}", help: "Dead letters by reason." });
 *   stats.counter(deadLettered.name({ reason: "invalid_value" })).add();
 *   // /metrics: marketpipe_consumer_dead_lettered_total{reason="invalid_value"} 1
 */
export function labelledCounter<const T extends string>(spec: {
  counter: T;
  help: string;
  metric?: string;
  values?: Partial<Record<LabelsOf<T>, readonly string[]>>;
}): LabelledCounter<LabelsOf<T>> {
  type L = LabelsOf<T>;
  const parts = spec.counter.split(/\{([^}]+)\}/);
  const labels = parts.filter((_, i) => i % 2 === 1) as L[];
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const source = parts
    .map((part, i) => {
      if (i % 2 === 0) return literal(part);
      const values = spec.values?.[part as L];
      return values ? `(${values.map(literal).join("|")})` : "([^.]+)";
    })
    .join("");
  const pattern = new RegExp(`^${source}$`);
  const metric = spec.metric ?? (parts[0] ?? "").replace(/\.$/, "");
  return {
    metric,
    help: spec.help,
    labels,
    name: (values) => parts.map((part, i) => (i % 2 === 0 ? part : values[part as L])).join(""),
    match(counterName) {
      const found = pattern.exec(counterName);
      if (!found) return undefined;
      return Object.fromEntries(labels.map((label, i) => [label, found[i + 1] ?? ""])) as Record<
        L,
        string
      >;
    },
  };
}

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
 * `deadLettered.invalid_value` of a declared family (`counters`, see {@link labelledCounter}) →
 * `marketpipe_<service>_dead_lettered_total{reason="invalid_value"}`,
 * latency `deliveryLatencyMs` → histogram `marketpipe_<service>_delivery_latency_seconds`, and the
 * source's gauges. Families are registered in the process registry the first time they appear.
 *
 * @example
 *   const metrics = serviceMetrics({ service: "consumer", gauges: () => lagSamples(), counters: [deadLettered] });
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
      const { metric, labels, help } = labelledFamily(source.counters ?? [], counterName);
      const name = `${prefix}${snake(metric)}_total`;
      const target = family(
        name,
        "counter",
        help ?? `Stats counter ${metric} of ${source.service}.`,
      );
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

function labelledFamily(
  declared: readonly LabelledCounter[],
  counterName: string,
): { metric: string; labels: Record<string, string>; help?: string } {
  for (const counter of declared) {
    const labels = counter.match(counterName);
    if (labels) return { metric: counter.metric, labels, help: counter.help };
  }
  return { metric: counterName, labels: {} };
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
