import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { parseBearerTokens } from "@repo/platform/tokens";
import { type ApiAppOptions, createApiApp } from "../app.ts";
import { createCursorCodec } from "../market/cursor.ts";
import type { MarketReader } from "../market/reader.ts";
import { createStreamAdmission } from "../stream/admission.ts";
import { idleFeed } from "../stream/feed.ts";
import { createMarketStream } from "../stream/market-stream.ts";

/**
 * The api for unit tests of its HTTP rules, with no Cassandra, Kafka or upstream behind it: an
 * empty reader, an idle market stream, one client admitted, a fixed cursor key, always ready, the
 * operator tokens `tokens` (`name:token,…`) and what the test is about (`console`, `ops`).
 *
 * @example
 *   const app = unitApiApp({ tokens: `ops:${OPERATOR}`, console: { kafka: fakeKafka(), … } });
 *   const response = await app.request("/v1/kafka/topics", { headers: auth });
 */
export function unitApiApp(
  options: { tokens: string } & Pick<Partial<ApiAppOptions>, "console" | "ops">,
) {
  const log = createLogger("test", "silent");
  const stats = createStats();
  const reader = {} as MarketReader;
  const { tokens, ...features } = options;
  return createApiApp({
    log,
    stats,
    reader,
    stream: createMarketStream({ source: reader, feed: idleFeed, log, stats }),
    admission: createStreamAdmission({ maxClients: 1, maxPerClient: 1 }),
    streamLimits: { queueMax: 10, writeTimeoutMs: 1000, retryMs: 7000 },
    cursors: createCursorCodec({ key: Buffer.alloc(32, 1), ttlMs: 60_000 }),
    operatorTokens: parseBearerTokens(tokens).tokens,
    pipeline: async () => [],
    readiness: () => ({ ready: true, checks: {} }),
    cassandraConnected: () => true,
    dashboardDir: "/nonexistent",
    ...features,
  });
}
