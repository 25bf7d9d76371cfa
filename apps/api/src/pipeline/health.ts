import type { ServiceHealth } from "../http/responses.ts";

export type { ServiceHealth };

/**
 * Reads every pipeline service's `/stats` at once for the dashboard (the browser only talks to the
 * api, so the services stay bound to loopback and need no CORS). A service that does not answer
 * within `timeoutMs` is reported with the reason, never as an error of the whole answer.
 *
 * @example
 *   const probe = createPipelineProbe({ ingest: "http://127.0.0.1:3001", producer: "…" });
 *   await probe(); // [{ service: "ingest", ok: true, state: "up", url, stats: { … } }, …]
 */
export function createPipelineProbe(services: Record<string, string>, timeoutMs = 2_000) {
  return () =>
    Promise.all(
      Object.entries(services).map(async ([service, url]): Promise<ServiceHealth> => {
        const down = (error: string): ServiceHealth => ({
          service,
          url,
          ok: false,
          state: "down",
          error,
        });
        try {
          const response = await fetch(`${url.replace(/\/$/, "")}/stats`, {
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (!response.ok) {
            await response.body?.cancel();
            return down(`/stats answered ${response.status}`);
          }
          const stats = (await response.json()) as Record<string, unknown>;
          return { service, url, ok: true, state: "up", stats };
        } catch (error) {
          return down(`unreachable: ${(error as Error).message}`);
        }
      }),
    );
}

/**
 * The `/stats` figures the dashboard shows, per service: counters, lag and latency quantiles only.
 * Anything else (URLs, brokers, token names, error texts) stays for operators.
 */
const PUBLIC_STATS: Record<string, readonly string[]> = {
  ingest: [
    "records.fetched",
    "records.forwarded",
    "records.rejected",
    "records.dropped",
    "buffer.size",
  ],
  producer: [
    "records.accepted",
    "records.delivered",
    "records.rejected",
    "records.failed",
    "invalidByField",
    "deliveryLatencyMs",
  ],
  consumer: [
    "records.consumed",
    "records.written",
    "records.deadLettered",
    "deadLettered",
    "lag.total",
    "batches.p50Ms",
    "batches.p99Ms",
    "latency.endToEndMs",
    "latency.eventToStoreMs",
  ],
};

type Json = Record<string, unknown>;

/**
 * What anyone may see of a service: its name, state and the {@link PUBLIC_STATS} figures (numbers,
 * or objects of numbers keyed by a fixed vocabulary such as reject reasons); no URL, no error text.
 *
 * @example
 *   publicHealth({ service: "producer", url: "http://10.0.0.5:3002", ok: true, state: "up", stats });
 *   // { service: "producer", ok: true, state: "up", stats: { records: { accepted: 12, … } } }
 */
export function publicHealth(health: ServiceHealth): ServiceHealth {
  const { service, ok, state } = health;
  if (!health.stats) return { service, ok, state };
  const shown: Json = {};
  for (const path of PUBLIC_STATS[service] ?? []) {
    const value = numbersOnly(valueAt(health.stats, path));
    if (value !== undefined) setAt(shown, path, value);
  }
  return { service, ok, state, stats: shown };
}

function valueAt(stats: Json, path: string): unknown {
  let value: unknown = stats;
  for (const key of path.split(".")) value = (value as Json | undefined)?.[key];
  return value;
}

function setAt(target: Json, path: string, value: unknown) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Json;
  }
  node[keys.at(-1) as string] = value;
}

/** A number, or an object of numbers (one level), or undefined. */
function numbersOnly(value: unknown): unknown {
  if (typeof value === "number") return value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, item]) => typeof item === "number");
  return Object.fromEntries(entries);
}
