import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually, type RunningService, readTopic } from "@repo/testkit";
import { postRecords, type RelayedProducer, relayedProducer, tickJson } from "./harness.ts";

/**
 * The registry goes away after the producer is warm (its address is a loopback relay to the shared
 * registry, closed mid-test): /readyz reports it, producing continues with the cached schema id,
 * and readiness returns with the registry.
 */
let relayed: RelayedProducer;
let producer: RunningService;
let prefix: string;
const CACHE_TTL_MS = 500;

beforeAll(async () => {
  relayed = await relayedProducer("registry", {
    open: true,
    name: "prod_sr",
    env: { SCHEMA_CACHE_TTL_MS: String(CACHE_TTL_MS) },
  });
  ({ prefix, producer } = relayed);
}, 120_000);

afterAll(() => relayed?.close());

const readiness = async () => {
  const response = await fetch(`${producer.url}/readyz`);
  return {
    status: response.status,
    body: (await response.json()) as { checks: { registry: { ok: boolean } } },
  };
};

test("a warm producer keeps producing through a registry outage and reports it in /readyz", async () => {
  const batch = (from: number) => ({
    records: Array.from({ length: 10 }, (_, i) => ({ value: tickJson("AAPL", from + i) })),
  });
  expect((await postRecords(producer, "market.ticks", batch(1))).status).toBe(200);
  const warmAt = Date.now(); // the schema id was fetched and cached before this

  await relayed.cut();
  const down = await eventually(async () => {
    const current = await readiness();
    return current.status === 503 ? current : undefined;
  });
  expect(down.body.checks.registry.ok).toBe(false);
  // Past SCHEMA_CACHE_TTL_MS the next request re-checks the id, fails, and uses the cached one.
  await eventually(() => (Date.now() - warmAt > CACHE_TTL_MS ? true : undefined), {
    intervalMs: 50,
    message: `the cached schema id did not outlive SCHEMA_CACHE_TTL_MS (${CACHE_TTL_MS} ms)`,
  });
  const during = await postRecords(producer, "market.ticks", batch(11));
  expect(during.status).toBe(200);
  expect(during.json.offsets).toHaveLength(10);

  await relayed.open();
  await eventually(async () => ((await readiness()).status === 200 ? true : undefined));
  expect((await postRecords(producer, "market.ticks", batch(21))).status).toBe(200);
  expect((await readTopic(`${prefix}market.ticks`)).length).toBe(30);
}, 120_000);
