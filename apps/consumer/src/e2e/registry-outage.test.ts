import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  freePort,
  produceRaw,
  type Relay,
  type RunningService,
  readTopic,
  startRelay,
} from "@repo/testkit";
import { decodeRetries, makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

/**
 * The registry goes away mid-stream (the consumer reaches it through a loopback relay that the test
 * closes): ticks whose schema id is cached keep flowing, a record with an id the consumer cannot
 * resolve waits instead of being dead-lettered, /readyz reports the outage, and everything settles
 * by itself when the registry returns.
 */
let s: Scenario;
let consumer: RunningService;
let relay: Relay | undefined;
let relayPort: number;

beforeAll(async () => {
  s = await scenario("sr_outage");
  relayPort = await freePort();
  relay = await startRelay(relayPort, 8081);
  consumer = await s.start({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${relayPort}` });
}, 120_000);

afterAll(async () => {
  await s?.close(); // stops the consumer first
  await relay?.close();
}, 60_000);

test("a registry outage pauses only what needs the registry and loses nothing", async () => {
  const ticks = makeTicks(4, 50);
  await s.produce(ticks.slice(0, 100));
  // Wait for the whole first batch, bars and commit included (lag 0): the consumer has then
  // resolved and cached both the Tick writer schema and the Bar schema id. Before that, a registry
  // outage pauses the pipeline (nothing lost) instead of letting cached-schema ticks through.
  await waitFor(
    "the first ticks written, their bars published and their offsets committed",
    async () => {
      const current = await stats(consumer);
      return current.records.written === 100 && current.bars.written > 0 && current.lag.total === 0
        ? true
        : undefined;
    },
    60_000,
    consumer,
  );

  await relay?.close();
  relay = undefined;
  await waitFor(
    "readyz 503 without the registry",
    async () => ((await fetch(`${consumer.url}/readyz`)).status === 503 ? true : undefined),
    30_000,
    consumer,
  );
  await s.produce(ticks.slice(100));
  await waitFor(
    "cached-schema ticks written during the outage",
    async () => ((await stats(consumer)).records.written === 200 ? true : undefined),
    60_000,
    consumer,
  );

  const unknownId = Buffer.concat([
    Buffer.from([0]),
    Buffer.from([0x00, 0x0f, 0x42, 0x3f]),
    Buffer.from("body"),
  ]);
  const logged = consumer.output().length;
  await produceRaw(s.topic.ticks, [{ key: "SYM00", value: unknownId }]);
  await waitFor(
    "the consumer to poll the record with an unresolvable schema id and retry its decode 3 times",
    async () => (decodeRetries(consumer, logged) >= 3 ? true : undefined),
    30_000,
    consumer,
  );
  expect((await stats(consumer)).records.deadLettered).toBe(0);

  relay = await startRelay(relayPort, 8081);
  const final = await waitFor(
    "the unresolvable record dead-lettered once the registry answers 404",
    async () => {
      const current = await stats(consumer);
      return current.records.deadLettered === 1 && current.lag.total === 0 ? current : undefined;
    },
    60_000,
    consumer,
  );
  expect(final.records.written).toBe(200);
  expect(await s.tickCount()).toBe(200);
  const [dead] = await readTopic(s.topic.deadLetter);
  expect(dead?.headers["dlq.reason"]).toStartWith("unknown_schema_id");
  expect(dead?.value?.equals(unknownId)).toBe(true);
  await waitFor(
    "readyz 200 again",
    async () => ((await fetch(`${consumer.url}/readyz`)).ok ? true : undefined),
    30_000,
    consumer,
  );
}, 180_000);
