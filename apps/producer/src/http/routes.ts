import { parseJson } from "@repo/platform/http";
import type { Hono, MiddlewareHandler } from "hono";
import type { DeliveredOffset } from "../records/publish.ts";
import { type PostedRecord, recordsBody } from "../records/request.ts";

/**
 * Mounts `POST /v1/topics/:topic/records` on a service app, behind `authorize` (see
 * `authorizeWrites`).
 *
 * @example
 *   mountRecordRoutes(app, { maxRecords: 1000, authorize: authorizeWrites({ tokens, stats, log }), publish });
 *   // curl -XPOST localhost:3002/v1/topics/market.ticks/records -d '{"records":[{"value":{...}}]}'
 */
export function mountRecordRoutes(
  app: Hono,
  options: {
    maxRecords: number;
    authorize: MiddlewareHandler;
    publish: (topic: string, records: PostedRecord[]) => Promise<DeliveredOffset[]>;
  },
) {
  const body = recordsBody(options.maxRecords);
  app.post("/v1/topics/:topic/records", options.authorize, async (c) => {
    const topic = c.req.param("topic");
    const { records } = await parseJson(c, body);
    const offsets = await options.publish(topic, records);
    return c.json({ offsets });
  });
}
