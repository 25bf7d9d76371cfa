/**
 * A registry that accepts connections and never answers (a relay switched to "hang"), in front of a
 * producer and a consumer of one scenario: writes fail fast as retriable 503s instead of hanging,
 * both services report not-ready, no socket is held without bound, and once the registry answers
 * again both recover and every tick posted is stored exactly once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { avroTypeOf, toWire } from "@repo/contracts";
import { buildApp, produceRaw, type RunningService, startService } from "@repo/testkit";
import { decodeRetries, makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";
import {
  registerSchema,
  type SwitchableRelay,
  startSwitchableRelay,
  tickVariant,
} from "./registry-stand-ins.ts";

const TIMEOUT_MS = 1_000;
let s: Scenario;
let relay: SwitchableRelay;
let producer: RunningService;
let consumer: RunningService;

beforeAll(async () => {
  await buildApp("producer");
  s = await scenario("sr_hang");
  relay = await startSwitchableRelay("hang");
  const registryEnv = {
    SCHEMA_REGISTRY_URL: relay.url,
    SCHEMA_REGISTRY_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  producer = await startService(
    "producer",
    { TOPIC_PREFIX: s.prefix, SCHEMA_CACHE_TTL_MS: "500", ...registryEnv },
    { waitFor: "healthz" },
  );
  consumer = await s.start({ ...registryEnv, RETRY_MAX_DELAY_MS: "1000" });
}, 180_000);

afterAll(async () => {
  await producer?.stop();
  await s?.close();
  await relay?.close();
}, 60_000);

const baseMicros = (Math.floor(Date.now() / 60_000) - 90) * 60_000 * 1000;
const iso = (micros: number) =>
  new Date(Math.floor(micros / 1000))
    .toISOString()
    .replace("Z", `${String(micros % 1000).padStart(3, "0")}Z`);

/** A valid trade as posted to the producer; `sequence` also spreads its event time. */
const tickJson = (symbol: string, sequence: number) => ({
  source: "e2e",
  symbol,
  kind: "TRADE",
  eventTime: iso(baseMicros + sequence * 1_000),
  sequence,
  price: `${100 + (sequence % 50)}.${String(sequence).padStart(6, "0")}`,
  size: 1 + (sequence % 500),
  ingestTime: iso(baseMicros + sequence * 1_000 + 250),
});

const batch = (from: number, count: number) => ({
  records: Array.from({ length: count }, (_, i) => ({
    value: tickJson(i % 2 === 0 ? "AAPL" : "MSFT", from + i),
  })),
});

async function post(body: unknown) {
  const response = await fetch(`${producer.url}/v1/topics/market.ticks/records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    // Far above SCHEMA_REGISTRY_TIMEOUT_MS: reaching it means the write hung.
    signal: AbortSignal.timeout(20 * TIMEOUT_MS),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as { error?: { code: string } },
  };
}

const readyz = async (service: RunningService) =>
  (await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;

const settled = (expected: number) =>
  waitFor(
    `${expected} ticks written and lag 0`,
    async () => {
      const now = await stats(consumer);
      return now.records.written === expected && now.lag.total === 0 ? now : undefined;
    },
    90_000,
    consumer,
  );

test("started against a hanging registry: writes answer 503 within the timeout, both services are not ready, sockets stay bounded, and everything recovers without loss", async () => {
  relay.resetPeak();
  const refused = await post(batch(0, 20));
  expect(refused.status).toBe(503);
  expect(refused.body.error?.code).toBe("registry_unavailable");
  expect(refused.retryAfter).toBe("5");
  expect(await readyz(producer)).toBe(503);
  expect(await readyz(consumer)).toBe(503);

  // A burst of writes while the registry hangs: each fails on its own, no socket piles up.
  const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => post(batch(1000 + i, 1))));
  expect(burst.map((r) => r.status)).toEqual(Array(30).fill(503));
  await waitFor(
    "the relay to hold the sockets of the services' pending registry calls",
    async () => (relay.open() > 0 ? true : undefined),
    10_000,
  );
  // 16 sockets per service at most (the client's agent), every hung one destroyed at its deadline.
  expect(relay.peak()).toBeLessThanOrEqual(32);

  relay.set("pass");
  await waitFor(
    "the producer ready",
    async () => ((await readyz(producer)) === 200 ? true : undefined),
    30_000,
    producer,
  );
  // The client retries what was refused, as the 503 told it to.
  expect((await post(batch(0, 20))).status).toBe(200);
  expect((await post(batch(20, 20))).status).toBe(200);
  await settled(40);
  await waitFor(
    "the consumer ready",
    async () => ((await readyz(consumer)) === 200 ? true : undefined),
    30_000,
    consumer,
  );
  expect(await s.tickCount()).toBe(40);
}, 180_000);

test("once warm, a hang neither stops writes with a cached schema id nor loses records whose writer schema the consumer still has to fetch", async () => {
  const variant = avroTypeOf(tickVariant(s.prefix));
  const variantId = await registerSchema(
    `${s.prefix}variant-value`,
    JSON.stringify(tickVariant(s.prefix)),
  );
  relay.set("hang");
  await waitFor(
    "the producer not ready",
    async () => ((await readyz(producer)) === 503 ? true : undefined),
    30_000,
    producer,
  );

  // Past SCHEMA_CACHE_TTL_MS the producer answers with its cached id while it asks again.
  const during = await post(batch(40, 20));
  expect(during.status).toBe(200);

  const logged = consumer.output().length;
  const noteField = (tickVariant(s.prefix) as { fields: { name: string }[] }).fields.at(-1)?.name;
  const variantTicks = makeTicks(1, 5).map((tick) => ({ ...tick, [noteField ?? ""]: null }));
  await produceRaw(
    s.topic.ticks,
    variantTicks.map((tick) => ({
      key: tick.symbol,
      value: toWire(variantId, variant.toBuffer(tick)),
    })),
  );
  await waitFor(
    "the consumer to retry the decode of the new schema id twice",
    async () => (decodeRetries(consumer, logged) >= 2 ? true : undefined),
    60_000,
    consumer,
  );
  expect((await stats(consumer)).records.deadLettered).toBe(0);

  relay.set("pass");
  const final = await settled(65);
  expect(final.records.deadLettered).toBe(0);
  expect(await s.tickCount()).toBe(65);
  const identities = await s.storedIdentities();
  expect(new Set(identities).size).toBe(65);
}, 180_000);
