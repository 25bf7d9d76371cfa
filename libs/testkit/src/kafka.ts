import { resolve } from "node:path";
import { Admin, Consumer, MessagesStreamModes, Producer } from "@platformatic/kafka";
import { runCommand } from "./command.ts";
import { brokers, stackEnv } from "./env.ts";
import { dropSubjects } from "./registry.ts";

export interface TopicMessage {
  topic: string;
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

function admin() {
  return new Admin({ clientId: "testkit", bootstrapBrokers: brokers });
}

/** Creates topics that do not exist yet. */
export async function createTopics(
  specs: { name: string; partitions: number; config?: Record<string, string> }[],
) {
  const client = admin();
  try {
    const existing = new Set(await client.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    for (const spec of missing) {
      await client.createTopics({
        topics: [spec.name],
        partitions: spec.partitions,
        replicas: 1,
        configs: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      });
    }
    await waitForLeaders(
      client,
      missing.map((s) => s.name),
    );
  } finally {
    await client.close();
  }
}

/**
 * Undoes {@link provisionTopics}: deletes every topic and registry subject whose name starts with
 * `prefix` (a test's isolated topics and their `<topic>-value` subjects) and the named consumer
 * groups, so runs on a kept stack do not pile up partitions, subjects and groups. Groups must be
 * empty: stop their consumers first. Returns the topics deleted.
 *
 * @example
 *   afterAll(() => dropTopics(`${id}.`, [`${id}-group`]));
 */
export async function dropTopics(prefix: string, groups: string[] = []): Promise<string[]> {
  if (prefix.length === 0) throw new Error("dropTopics needs a non-empty prefix");
  const client = admin();
  try {
    const topics = (await client.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await client.deleteTopics({ topics });
    await dropSubjects(prefix);
    if (groups.length > 0) {
      const existing = await client.listGroups();
      const known = groups.filter((group) => existing.has(group));
      if (known.length > 0) await client.deleteGroups({ groups: known });
    }
    return topics;
  } finally {
    await client.close();
  }
}

/** A freshly created topic only takes writes once each partition has a leader. */
async function waitForLeaders(client: Admin, names: string[]) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const metadata = await client
      .metadata({ topics: names, forceUpdate: true })
      .catch(() => undefined);
    const ready =
      metadata &&
      names.every((n) => {
        const topic = metadata.topics.get(n);
        return topic?.partitions.every((p) => p.leader >= 0) ?? false;
      });
    if (ready) return;
    await Bun.sleep(100);
  }
  throw new Error(`topics ${names.join(", ")} have no partition leaders after 15 s`);
}

/**
 * Produces raw messages (idempotent, acks=all) — for tests that need exact bytes on a topic, such as
 * poison records, without going through the producer service.
 */
export async function produceRaw(
  topic: string,
  messages: {
    key?: Buffer | string | null;
    value: Buffer | null;
    headers?: Record<string, string>;
    partition?: number;
  }[],
): Promise<void> {
  const producer = new Producer({
    clientId: "testkit-producer",
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: -1,
  });
  try {
    await producer.send({
      messages: messages.map((m) => ({
        topic,
        key: typeof m.key === "string" ? Buffer.from(m.key) : (m.key ?? undefined),
        value: m.value ?? undefined,
        partition: m.partition,
        headers: m.headers
          ? new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
          : undefined,
      })),
    });
  } finally {
    await producer.close();
  }
}

/**
 * Produces `values` keyed by their symbol, each encoded by `encode` (a registry client's `encode`
 * with a schema id: the Confluent wire format any Avro client writes), `batch` records a request.
 *
 * @example
 *   await produceBySymbol(`${prefix}market.ticks`, ticks, (tick) => registry.encode(schemaId, tick));
 */
export async function produceBySymbol<T extends { symbol: string }>(
  topic: string,
  values: T[],
  encode: (value: T) => Promise<Buffer>,
  batch = 5000,
): Promise<void> {
  for (let i = 0; i < values.length; i += batch) {
    const messages = await Promise.all(
      values
        .slice(i, i + batch)
        .map(async (value) => ({ key: value.symbol, value: await encode(value) })),
    );
    await produceRaw(topic, messages);
  }
}

/** The high watermark (next offset) of every partition of a topic, by partition index. */
export async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  const consumer = new Consumer({
    clientId: "testkit-offsets",
    groupId: "testkit-offsets",
    bootstrapBrokers: brokers,
  });
  try {
    const offsets = await consumer.listOffsets({ topics: [topic], timestamp: -1n });
    const list = offsets.get(topic) ?? [];
    return new Map(list.map((offset, partition) => [partition, offset]));
  } finally {
    await consumer.close().catch(() => {});
  }
}

/** Total messages currently on a topic (sum of end offsets; topics here are never compacted or truncated in tests). */
export async function messageCount(topic: string): Promise<number> {
  let total = 0n;
  for (const offset of (await endOffsets(topic)).values()) total += offset;
  return Number(total);
}

/**
 * Reads every message currently on `topic` (from the beginning up to the end offsets at call time,
 * or until `untilCount` messages arrived), with raw key/value bytes.
 */
export async function readTopic(
  topic: string,
  options: { untilCount?: number; timeoutMs?: number } = {},
): Promise<TopicMessage[]> {
  const ends = await endOffsets(topic);
  const target = options.untilCount ?? Number([...ends.values()].reduce((a, b) => a + b, 0n));
  const messages: TopicMessage[] = [];
  if (target === 0) return messages;
  const consumer = new Consumer({
    clientId: "testkit-reader",
    groupId: `testkit-${topic}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    bootstrapBrokers: brokers,
    autocommit: false,
  });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
  const timer = setTimeout(() => stream.close(), options.timeoutMs ?? 30_000);
  try {
    for await (const message of stream) {
      const headers: Record<string, string> = {};
      for (const [k, v] of message.headers ?? new Map()) headers[String(k)] = String(v);
      messages.push({
        topic,
        partition: message.partition,
        offset: message.offset,
        key: (message.key as Buffer | undefined) ?? null,
        value: (message.value as Buffer | undefined) ?? null,
        headers,
      });
      if (messages.length >= target) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  }
  return messages;
}

/**
 * Creates `${prefix}market.ticks` and every other declared topic with their declared partitions and
 * registers their value schemas under `${prefix}<topic>-value`: runs the real `schemas:push
 * --topic-prefix`, as users do. (A process rather than a call: testkit cannot depend on
 * @repo/provision, whose registry module's own tests use testkit.)
 */
export async function provisionTopics(prefix: string): Promise<void> {
  const push = await runCommand(["bun", pushCli, "--topic-prefix", prefix], { env: stackEnv });
  if (push.code !== 0)
    throw new Error(
      `provisionTopics(${prefix}): schemas:push exited ${push.code}:\n${push.output}`,
    );
}

const pushCli = resolve(import.meta.dir, "../../provision/src/push-cli.ts");
