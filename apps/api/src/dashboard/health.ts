import type { ServiceHealth } from "./api.ts";

type Json = Record<string, unknown>;
type Line = [label: string, value: string, bad?: boolean, raw?: string];

/** The streaming job's latest steady end-to-end figures (from `/v1/streaming-job`), if any. */
export interface SteadyLatency {
  windowS: number;
  p50: number | null;
  p99: number | null;
  at: string;
}

/**
 * Pipeline health cards, one per service, from each service's `/stats` (through the api). Every
 * label names exactly the figure beside it: totals are the `/stats` counters as they are (the
 * element's `data-stat` names the path), rates say "/s" and come from the change between two
 * readings, and latency quantiles say which window they cover: the services' own quantiles are
 * over their latest samples (a start-up backlog included), the steady end-to-end figure is the
 * streaming job's last minute without consumer lag.
 */
export function createHealth(container: HTMLElement) {
  const previous = new Map<string, { at: number; stats: Json }>();

  function rate(service: string, stats: Json, path: string): Line {
    const label = `${path.split(".").at(-1)}/s`;
    const before = previous.get(service);
    const now = num(stats, path);
    if (!before || now === undefined) return [label, "…"];
    const then = num(before.stats, path) ?? now;
    const seconds = (performance.now() - before.at) / 1000;
    return [label, seconds > 0 ? fmt(Math.max(0, now - then) / seconds) : "…"];
  }

  const total = (s: Json, path: string, bad = false): Line => {
    const value = num(s, path);
    return [path.split(".").at(-1) as string, fmt(value), bad && (value ?? 0) > 0, path];
  };

  function lines(entry: ServiceHealth, steady: SteadyLatency | undefined): Line[] {
    const s = entry.stats ?? {};
    const name = entry.service;
    const reasons = (path: string): Line[] =>
      Object.entries((get(s, path) as Record<string, number> | undefined) ?? {})
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => [`  ${reason}`, fmt(n), true, `${path}.${reason}`]);
    if (name === "ingest") {
      return [
        total(s, "records.fetched"),
        rate(name, s, "records.fetched"),
        total(s, "records.forwarded"),
        rate(name, s, "records.forwarded"),
        ["rejected", fmt(sum(get(s, "records.rejected"))), sum(get(s, "records.rejected")) > 0],
        ...reasons("records.rejected"),
        total(s, "records.dropped", true),
        ["buffered", fmt(num(s, "buffer.size")), false, "buffer.size"],
      ];
    }
    if (name === "producer") {
      return [
        total(s, "records.accepted"),
        rate(name, s, "records.accepted"),
        total(s, "records.delivered"),
        rate(name, s, "records.delivered"),
        total(s, "records.rejected", true),
        ...reasons("invalidByField"),
        total(s, "records.failed", true),
        quantiles(s, "delivery p50 / p99 (latest deliveries)", "deliveryLatencyMs"),
      ];
    }
    if (name === "consumer") {
      return [
        total(s, "records.consumed"),
        rate(name, s, "records.consumed"),
        total(s, "records.written"),
        rate(name, s, "records.written"),
        [
          "dead-lettered",
          fmt(num(s, "records.deadLettered")),
          (num(s, "records.deadLettered") ?? 0) > 0,
          "records.deadLettered",
        ],
        ...reasons("deadLettered"),
        ["lag", fmt(num(s, "lag.total")), (num(s, "lag.total") ?? 0) > 0, "lag.total"],
        quantiles(s, "batch p50 / p99 (latest batches)", "batches", "p50Ms", "p99Ms"),
        quantiles(s, "end-to-end p50 / p99 (latest ticks, backlog included)", "latency.endToEndMs"),
        steady
          ? [
              `end-to-end p50 / p99 (steady: ticks written in the ${steady.windowS} s to ${steady.at.slice(11, 19)}, no backlog)`,
              `${fmt(steady.p50 ?? undefined)} / ${fmt(steady.p99 ?? undefined)} ms`,
            ]
          : [
              "end-to-end p50 / p99 (steady)",
              "not steady yet (a backlog in the window, or no reading)",
            ],
        quantiles(s, "event → stored p50 / p99 (latest ticks)", "latency.eventToStoreMs"),
      ];
    }
    return Object.entries(s)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => [k, fmt(v as number), false, k]);
  }

  return {
    render(services: ServiceHealth[], steady?: SteadyLatency) {
      const cards = services.map((entry) => {
        const card = document.createElement("article");
        card.className = `service${entry.ok ? "" : " down"}`;
        card.dataset.service = entry.service;
        const title = document.createElement("h3");
        title.append(entry.service);
        const state = document.createElement("span");
        state.className = "state";
        state.textContent = entry.ok ? "up" : "down";
        title.append(state);
        const list = document.createElement("dl");
        const rows: Line[] = entry.ok
          ? lines(entry, steady)
          : [["error", entry.error ?? "no answer", true]];
        for (const [label, value, bad, raw] of rows) {
          const dt = document.createElement("dt");
          dt.textContent = label;
          const dd = document.createElement("dd");
          dd.textContent = value;
          if (raw) dd.dataset.stat = raw;
          if (bad) dd.className = "bad";
          list.append(dt, dd);
        }
        card.append(title, list);
        return card;
      });
      container.replaceChildren(...cards);
      for (const entry of services)
        if (entry.stats) previous.set(entry.service, { at: performance.now(), stats: entry.stats });
    },
  };
}

function get(stats: Json, path: string): unknown {
  let value: unknown = stats;
  for (const key of path.split(".")) value = (value as Json | undefined)?.[key];
  return value;
}

function num(stats: Json, path: string): number | undefined {
  const value = get(stats, path);
  return typeof value === "number" ? value : undefined;
}

function sum(value: unknown): number {
  return Object.values((value as Record<string, number>) ?? {}).reduce((a, b) => a + b, 0);
}

function quantiles(stats: Json, label: string, path: string, low = "p50", high = "p99"): Line {
  const a = num(stats, `${path}.${low}`);
  const b = num(stats, `${path}.${high}`);
  const raw = `${path}.${low},${path}.${high}`;
  if (a === undefined && b === undefined) return [label, "no sample yet", false, raw];
  return [label, `${fmt(a)} / ${fmt(b)} ms`, false, raw];
}

/** A `/stats` number as it is (integers with thousands separators, fractions to 2 decimals). */
function fmt(value: number | undefined): string {
  if (value === undefined) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}
