import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { cassandraClient, dropKeyspace, provisionKeyspace } from "@repo/testkit";
import cassandra from "cassandra-driver";
import { createOutboxStore, type OutboxDelivery } from "../cassandra/outbox.ts";

const HOUR_US = 3_600_000_000;
const keyspace = `an_outbox_${randomBytes(4).toString("hex")}`;
let client: cassandra.Client;

beforeAll(async () => {
  await provisionKeyspace(keyspace);
  client = await cassandraClient(keyspace);
}, 120_000);

afterAll(async () => {
  await client?.shutdown();
  await dropKeyspace(keyspace);
});

const delivery = (id: string, barStart: number): OutboxDelivery => ({
  id,
  ruleId: "r1",
  barStart,
  url: "http://127.0.0.1:9/hook",
  secret: "s",
  body: `{"id":"${id}"}`,
  enqueuedAt: Date.now(),
});

test("a restart reads back every waiting delivery, also one whose bar starts in the next hour (a clock ahead), and none once removed", async () => {
  const outbox = createOutboxStore({
    client,
    consistency: cassandra.types.consistencies.localOne,
    ttlSeconds: 3_660,
  });
  const nowUs = Date.now() * 1000;
  const thisHour = Math.floor(nowUs / HOUR_US) * HOUR_US;
  const earlier = delivery("earlier", thisHour - HOUR_US + 60_000_000);
  const ahead = delivery("ahead", thisHour + HOUR_US + 60_000_000);
  expect(await outbox.claim(earlier)).toBe(true);
  expect(await outbox.claim(ahead)).toBe(true);
  expect(await outbox.claim(ahead)).toBe(false);
  const found = await outbox.pending(nowUs - 2 * HOUR_US, nowUs);
  expect(found.map((d) => d.id).toSorted()).toEqual(["ahead", "earlier"]);
  for (const d of found) await outbox.remove(d);
  expect(await outbox.pending(nowUs - 2 * HOUR_US, nowUs)).toEqual([]);
}, 60_000);
