/** The api's JSON shapes as the dashboard reads them (see /openapi.json). */
export interface Quote {
  symbol: string;
  kind: "TRADE" | "QUOTE";
  price: string;
  bid: string | null;
  ask: string | null;
  size: number;
  eventTime: string;
  source: string;
}

export interface Bar {
  start: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
  vwap: string;
  trades: number;
}

export interface ServiceHealth {
  service: string;
  url: string;
  ok: boolean;
  stats?: Record<string, unknown>;
  error?: string;
}

export const INTERVAL_MS = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
  "1d": 86_400_000,
};
export type Interval = keyof typeof INTERVAL_MS;

/** GET a JSON document from the api; throws with the api's error message. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = (await response.json()) as T & { error?: { message: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

export const symbols = () =>
  getJson<{ symbols: { symbol: string; latestEventTime: string }[] }>("/v1/symbols");

export function bars(symbol: string, interval: Interval, from: Date, to: Date) {
  const query = new URLSearchParams({ interval, from: from.toISOString(), to: to.toISOString() });
  return getJson<{ bars: Bar[] }>(`/v1/bars/${encodeURIComponent(symbol)}?${query}`);
}

export const pipeline = () => getJson<{ services: ServiceHealth[] }>("/v1/pipeline");
