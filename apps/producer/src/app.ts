import { type AppBaseOptions, appBase, createServiceApp, parseJson } from "@repo/platform/http";
import type { Stats } from "@repo/platform/stats";
import type { ProducerToken } from "./auth/tokens.ts";
import { authorizeWrites } from "./http/authorize.ts";
import type { DeliveredOffset } from "./records/publish.ts";
import { type PostedRecord, recordsBody } from "./records/request.ts";
import { PRODUCER_COUNTERS, type ProducerView, producerStats } from "./stats.ts";

export interface ProducerAppOptions extends AppBaseOptions {
  stats: Stats;
  /** What `/stats` shows of Kafka, the registry and the configured token names. */
  view: ProducerView;
  /** Validates, encodes and produces one request's records (see `createPublisher`). */
  publish: (topic: string, records: PostedRecord[]) => Promise<DeliveredOffset[]>;
  tokens: readonly ProducerToken[];
  maxRecords: number;
}

/**
 * The producer's HTTP edge: `POST /v1/topics/:topic/records` behind the bearer-token check (see
 * `authorizeWrites`), and the routes every service has (`/healthz`, `/readyz`, `/stats`, `/metrics`).
 *
 * @example
 *   const app = createProducerApp({ log, stats, view, readiness, publish, tokens: [], maxRecords: 1000 });
 *   // curl -XPOST localhost:3002/v1/topics/market.ticks/records -d '{"records":[{"value":{...}}]}'
 */
export function createProducerApp(options: ProducerAppOptions) {
  const { log, stats } = options;
  const app = createServiceApp({
    ...appBase(options),
    service: "producer",
    stats: () => producerStats(stats, options.view),
    counters: PRODUCER_COUNTERS,
  });
  const body = recordsBody(options.maxRecords);
  const authorize = authorizeWrites({ tokens: options.tokens, stats, log });
  app.post("/v1/topics/:topic/records", authorize, async (c) => {
    const topic = c.req.param("topic");
    const { records } = await parseJson(c, body);
    const offsets = await options.publish(topic, records);
    return c.json({ offsets });
  });
  return app;
}
