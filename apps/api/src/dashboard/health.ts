import type { ServiceHealth } from "./api.ts";

type Json = Record<string, unknown>;
type Line = [label: string, value: string, bad?: boolean];

/**
 * Pipeline health cards, one per service, from each service's `/stats` (through the api): rates
 * from the change between two readings, rejects and dead letters by reason, consumer lag and
 * latencies.
 */
export function createHealth(container: HTMLElement) {
  const previous = new Map<string, { at: number; stats: Json }>();

  function rate(service: string, stats: Json, path: string): string {
    const before = previous.get(service);
    const now = num(stats, path);
    if (!before || now === undefined) return "–";
    const then = num(before.stats, path) ?? now;
    const seconds = (performance.now() - before.at) / 1000;
    return seconds > 0 ? `${fmt(Math.max(0, now - then) / seconds)}/s` : "–";
  }

  function lines(entry: ServiceHealth): Line[] {
    const s = entry.stats ?? {};
    const name = entry.service;
    const reasons = (path: string): Line[] =>
      Object.entries((get(s, path) as Record<string, number> | undefined) ?? {})
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => [`  ${reason}`, fmt(n), true]);
    if (name === "ingest") {
      return [
        ["fetched", rate(name, s, "records.fetched")],
        ["forwarded", rate(name, s, "records.forwarded")],
        ["rejected", fmt(sum(get(s, "records.rejected"))), sum(get(s, "records.rejected")) > 0],
        ...reasons("records.rejected"),
        ["dropped", fmt(num(s, "records.dropped")), (num(s, "records.dropped") ?? 0) > 0],
        ["buffer", fmt(num(s, "buffer.size"))],
      ];
    }
    if (name === "producer") {
      return [
        ["accepted", rate(name, s, "records.accepted")],
        ["delivered", rate(name, s, "records.delivered")],
        ["rejected", fmt(num(s, "records.rejected")), (num(s, "records.rejected") ?? 0) > 0],
        ...reasons("invalidByField"),
        ["failed", fmt(num(s, "records.failed")), (num(s, "records.failed") ?? 0) > 0],
        ["delivery p50 / p99", pair(s, "deliveryLatencyMs")],
      ];
    }
    if (name === "consumer") {
      return [
        ["consumed", rate(name, s, "records.consumed")],
        ["written", rate(name, s, "records.written")],
        [
          "dead-lettered",
          fmt(num(s, "records.deadLettered")),
          (num(s, "records.deadLettered") ?? 0) > 0,
        ],
        ...reasons("deadLettered"),
        ["lag", fmt(num(s, "lag.total")), (num(s, "lag.total") ?? 0) > 0],
        ["batch p50 / p99", pair(s, "batches", "p50Ms", "p99Ms")],
        ["end-to-end p50 / p99", pair(s, "latency.endToEndMs")],
        ["event → stored p50 / p99", pair(s, "latency.eventToStoreMs")],
      ];
    }
    return Object.entries(s)
      .filter(([, v]) => typeof v === "number")
      .map(([k, v]) => [k, fmt(v as number)]);
  }

  return {
    render(services: ServiceHealth[]) {
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
          ? lines(entry)
          : [["error", entry.error ?? "no answer", true]];
        for (const [label, value, bad] of rows) {
          const dt = document.createElement("dt");
          dt.textContent = label;
          const dd = document.createElement("dd");
          dd.textContent = value;
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

function pair(stats: Json, path: string, low = "p50", high = "p99"): string {
  const a = num(stats, `${path}.${low}`);
  const b = num(stats, `${path}.${high}`);
  if (a === undefined && b === undefined) return "–";
  if (Math.max(a ?? 0, b ?? 0) >= 10_000)
    return `${fmt(a === undefined ? a : a / 1000)} / ${fmt(b === undefined ? b : b / 1000)} s`;
  return `${fmt(a)} / ${fmt(b)} ms`;
}

function fmt(value: number | undefined): string {
  if (value === undefined) return "–";
  return value >= 100 || Number.isInteger(value)
    ? Math.round(value).toLocaleString("en-US")
    : value.toFixed(1);
}
