// The api's JSON shapes come from its own response schemas (see /openapi.json); `import type`
// is erased, so the bundle carries none of the server code.

import type { StreamingJobJson } from "../http/ops-responses.ts";
import type {
  BarJson,
  BarsJson,
  PipelineJson,
  ServiceHealth,
  SymbolsJson,
  TickJson,
} from "../http/responses.ts";
import { INTERVALS, type Interval } from "../market/time.ts";

export type { Interval, ServiceHealth };
export type Bar = BarJson;
export type Quote = TickJson;

/** Bar intervals in milliseconds (the api's are in microseconds). */
export const INTERVAL_MS = Object.fromEntries(
  Object.entries(INTERVALS).map(([interval, micros]) => [interval, micros / 1000]),
) as Record<Interval, number>;

/** GET a JSON document from the api; throws with the api's error message. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

export const symbols = () => getJson<SymbolsJson>("/v1/symbols");

export function bars(symbol: string, interval: Interval, from: Date, to: Date) {
  const query = new URLSearchParams({ interval, from: from.toISOString(), to: to.toISOString() });
  return getJson<BarsJson>(`/v1/bars/${encodeURIComponent(symbol)}?${query}`);
}

export const pipeline = () => getJson<PipelineJson>("/v1/pipeline");

export const streamingJob = () => getJson<StreamingJobJson>("/v1/streaming-job");
