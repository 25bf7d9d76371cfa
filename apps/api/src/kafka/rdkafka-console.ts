import {
  type ConsumedRecord,
  createKafkaAdmin,
  createKafkaProducer,
  createPartitionReader,
  type KafkaProducer,
  type KafkaSecurity,
  type OffsetQuery,
} from "@repo/kafka-node";
import { PipelineError } from "@repo/platform/errors";
import {
  type KafkaConsole,
  type KafkaRecord,
  KafkaUnavailableError,
  MAX_TOPICS,
  type PartitionOffsets,
  UnknownTopicError,
} from "./console.ts";

type Keep = (record: KafkaRecord) => boolean;

const asKafkaRecord = (r: ConsumedRecord): KafkaRecord => ({
  partition: r.partition,
  offset: BigInt(r.offset),
  timestamp: r.timestamp ?? 0,
  key: r.key,
  value: r.value,
  headers: r.headers ?? [],
});

export interface KafkaConsoleOptions {
  brokers: string[];
  security?: KafkaSecurity;
  clientId?: string;
  requestTimeoutMs?: number;
  /** Partition reads running at once (each holds one librdkafka consumer). */
  maxConcurrentReads?: number;
}

/**
 * The console's Kafka access through the project's librdkafka client (`@repo/kafka-node`, Node
 * only): its admin client for topics, groups and offsets, a pool of group-less consumers that read a
 * partition from any offset (assign and seek; nothing is committed), and an idempotent producer for
 * redrive that names the partition of every record itself.
 *
 * @example
 *   const kafka = createKafkaConsole({ brokers: ["127.0.0.1:9092"] });
 *   const { records } = await kafka.read({ topic: "market.ticks", partition: 2, from: 0n,
 *     limit: 50, maxScan: 10_000, deadline: Date.now() + 5_000 });
 */
export function createKafkaConsole(options: KafkaConsoleOptions): KafkaConsole {
  const clientId = options.clientId ?? "api-console";
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const access = { brokers: options.brokers, clientId, security: options.security };
  const admin = createKafkaAdmin({ ...access, timeoutMs });
  const reader = createPartitionReader({
    ...access,
    maxConcurrent: options.maxConcurrentReads ?? 8,
  });
  let producer: Promise<KafkaProducer> | undefined;

  const call = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      throw new KafkaUnavailableError(what, error);
    }
  };

  const partitionsOf = async (topic: string) => {
    const [described] = await call("metadata", () => admin.describeTopics([topic]));
    if (!described || described.missing) throw new UnknownTopicError(topic);
    return described.partitions.length;
  };

  /** Offsets of every partition of each topic at `at`, by topic and partition. */
  const offsetsAt = async (counts: Map<string, number>, at: OffsetQuery) => {
    const queries = [...counts].flatMap(([topic, count]) =>
      Array.from({ length: count }, (_, partition) => ({ topic, partition, at })),
    );
    const answer = await call("listOffsets", () => admin.listOffsets(queries));
    const result = new Map<string, Map<number, bigint>>();
    for (const o of answer) {
      let partitions = result.get(o.topic);
      if (!partitions) {
        partitions = new Map();
        result.set(o.topic, partitions);
      }
      partitions.set(o.partition, BigInt(o.offset));
    }
    return result;
  };

  const offsets = async (topic: string): Promise<PartitionOffsets[]> => {
    const counts = new Map([[topic, await partitionsOf(topic)]]);
    const [earliest, latest] = await Promise.all([
      offsetsAt(counts, "earliest"),
      offsetsAt(counts, "latest"),
    ]);
    return Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({
      partition,
      earliest: earliest.get(topic)?.get(partition) ?? 0n,
      latest: latest.get(topic)?.get(partition) ?? 0n,
    }));
  };

  return {
    async topics(sinceMs = [], prefix = "") {
      const names = (await call("listTopics", () => admin.listTopics()))
        .filter((name) => name.startsWith(prefix) && !name.startsWith("__"))
        .sort()
        .slice(0, MAX_TOPICS);
      if (names.length === 0) return [];
      const described = (await call("metadata", () => admin.describeTopics(names))).filter(
        (t) => !t.missing,
      );
      const counts = new Map(described.map((t) => [t.name, t.partitions.length]));
      const [earliest, latest, ...since] = await Promise.all([
        offsetsAt(counts, "earliest"),
        offsetsAt(counts, "latest"),
        ...sinceMs.map((ms) => offsetsAt(counts, { timestamp: ms })),
      ]);
      return described.map((meta) => {
        const name = meta.name;
        const count = meta.partitions.length;
        const end = (p: number) => latest?.get(name)?.get(p) ?? 0n;
        return {
          name,
          partitions: Array.from({ length: count }, (_, partition) => ({
            partition,
            earliest: earliest?.get(name)?.get(partition) ?? 0n,
            latest: end(partition),
          })),
          replicationFactor: meta.partitions[0]?.replicas.length ?? 0,
          since: since.map(
            (at) =>
              new Map(
                Array.from({ length: count }, (_, p) => {
                  const offset = at.get(name)?.get(p) ?? -1n;
                  return [p, offset < 0n ? end(p) : offset] as const;
                }),
              ),
          ),
        };
      });
    },
    offsets,
    async offsetsForTime(topic, ms) {
      const counts = new Map([[topic, await partitionsOf(topic)]]);
      const [at, latest] = await Promise.all([
        offsetsAt(counts, { timestamp: ms }),
        offsetsAt(counts, "latest"),
      ]);
      const result = new Map<number, bigint>();
      for (let p = 0; p < (counts.get(topic) ?? 0); p += 1) {
        const offset = at.get(topic)?.get(p) ?? -1n;
        result.set(p, offset < 0n ? (latest.get(topic)?.get(p) ?? 0n) : offset);
      }
      return result;
    },
    async retention(topics) {
      const configs = await call("describeConfigs", () =>
        admin.topicConfigs(topics, ["retention.ms", "cleanup.policy"]),
      );
      const result = new Map<
        string,
        { retentionMs: number | null; cleanupPolicy: string | null }
      >();
      for (const [topic, entries] of configs) {
        const retention = entries.get("retention.ms") ?? null;
        result.set(topic, {
          retentionMs: retention === null ? null : Number(retention),
          cleanupPolicy: entries.get("cleanup.policy") ?? null,
        });
      }
      return result;
    },
    async groups() {
      const listed = await call("listGroups", () => admin.listGroups());
      const ids = listed.map((g) => g.groupId).sort();
      if (ids.length === 0) return [];
      const described = new Map(
        (await call("describeGroups", () => admin.describeGroups(ids))).map((g) => [g.groupId, g]),
      );
      return ids.map((group) => {
        const g = described.get(group);
        return {
          group,
          state: g?.state ?? listed.find((l) => l.groupId === group)?.state ?? "Unknown",
          protocol: g?.protocol ?? "",
          members: (g?.members ?? []).map((m) => {
            const byTopic = new Map<string, number[]>();
            for (const a of m.assignment)
              byTopic.set(a.topic, [...(byTopic.get(a.topic) ?? []), a.partition]);
            return {
              memberId: m.memberId,
              clientId: m.clientId,
              host: m.host,
              assignment: [...byTopic].map(([topic, partitions]) => ({
                topic,
                partitions: partitions.sort((x, y) => x - y),
              })),
            };
          }),
        };
      });
    },
    async committed(groups) {
      const result = new Map<string, Map<string, Map<number, bigint>>>();
      for (const group of groups) result.set(group, new Map());
      if (groups.length === 0) return result;
      const answer = await call("listConsumerGroupOffsets", () => admin.committedOffsets(groups));
      for (const [group, list] of answer) {
        const byTopic = result.get(group) ?? new Map<string, Map<number, bigint>>();
        for (const o of list) {
          let partitions = byTopic.get(o.topic);
          if (!partitions) {
            partitions = new Map();
            byTopic.set(o.topic, partitions);
          }
          partitions.set(o.partition, BigInt(o.offset));
        }
        result.set(group, byTopic);
      }
      return result;
    },
    async commitOffsets(group, topic, offsets) {
      await call("commitOffsets", () =>
        admin.commitGroupOffsets(
          group,
          [...offsets].map(([partition, offset]) => ({ topic, partition, offset: Number(offset) })),
        ),
      );
    },
    async read(request) {
      const count = await partitionsOf(request.topic);
      if (request.partition >= count)
        throw new UnknownTopicError(`${request.topic}/${request.partition}`);
      const result = await call("fetch", () =>
        reader.read({
          topic: request.topic,
          partition: request.partition,
          from: Number(request.from),
          until: request.until === undefined ? undefined : Number(request.until),
          limit: request.limit,
          maxScan: request.maxScan,
          deadline: request.deadline,
          keep: request.keep && ((r) => (request.keep as Keep)(asKafkaRecord(r))),
        }),
      );
      return {
        records: result.records.map(asKafkaRecord),
        scanned: result.scanned,
        next: BigInt(result.next),
        stopped: result.stopped,
      };
    },
    async produce(topic, records) {
      producer ??= (async () => {
        const created = createKafkaProducer({
          ...access,
          clientId: `${clientId}-redrive`,
          deliveryTimeoutMs: timeoutMs,
          maxInFlight: 100_000,
        });
        await created.connect(timeoutMs);
        return created;
      })().catch((error) => {
        producer = undefined;
        throw error;
      });
      const connected = await call("produce", () => producer as Promise<KafkaProducer>);
      return call("produce", () =>
        connected.produceBatch(
          topic,
          records.map((r) => ({
            partition: r.partition,
            key: r.key,
            // A redrive plan only holds records the consumer's checks accept, never a null value.
            value: r.value ?? Buffer.alloc(0),
            headers: r.headers,
          })),
        ),
      );
    },
    async close() {
      const created = await producer?.catch(() => undefined);
      await Promise.allSettled([admin.close(), reader.close(), created?.disconnect()]);
    },
  };
}
