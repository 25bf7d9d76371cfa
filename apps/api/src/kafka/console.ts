import { readFileSync } from "node:fs";
import { Admin, Consumer, Producer } from "@platformatic/kafka";
import { PipelineError } from "@repo/platform/errors";
import type { KafkaSecurity } from "@repo/platform/security";

/** Kafka as the console reads and acts on it, behind a port so the HTTP edge can be tested alone. */
export interface KafkaConsole {
  /**
   * Every topic but Kafka's internal ones, with partitions and end offsets, and for each time of
   * `sinceMs` the first offset at or after it per partition (the end when none): all topics in
   * one ListOffsets request per time.
   */
  topics(sinceMs?: number[], prefix?: string): Promise<TopicInfo[]>;
  /** Earliest and latest offset of each partition of `topic`, plus its partition count. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is at or after `ms` (the latest offset when none). */
  offsetsForTime(topic: string, ms: number): Promise<Map<number, bigint>>;
  /** `retention.ms` (and `cleanup.policy`) of each topic. */
  retention(
    topics: string[],
  ): Promise<Map<string, { retentionMs: number | null; cleanupPolicy: string | null }>>;
  groups(): Promise<GroupInfo[]>;
  /** Committed offsets of each group (one request for all), by topic and partition. */
  committed(groups: string[]): Promise<Map<string, Map<string, Map<number, bigint>>>>;
  /** Sets a group's committed offsets (Kafka refuses it while the group has members). */
  commitOffsets(group: string, topic: string, offsets: Map<number, bigint>): Promise<void>;
  /**
   * Reads `partition` of `topic` from `from`, keeping the records `keep` accepts, until `limit` were
   * kept, `maxScan` were read, the partition's end (at call time) or `deadline` (epoch ms).
   */
  read(request: ReadRequest): Promise<ReadResult>;
  /** Produces records (idempotent, acks=all) to explicit partitions; resolves once Kafka acknowledged. */
  produce(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<{ partition: number; offset: string }[]>;
  close(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  earliest: bigint;
  latest: bigint;
}

export interface TopicInfo {
  name: string;
  partitions: PartitionOffsets[];
  replicationFactor: number;
  /** Per time asked, per partition: the first offset at or after it. */
  since: Map<number, bigint>[];
}

export interface GroupInfo {
  group: string;
  state: string;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    host: string;
    assignment: { topic: string; partitions: number[] }[];
  }[];
}

export interface KafkaRecord {
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer | null][];
}

export interface ReadRequest {
  topic: string;
  partition: number;
  from: bigint;
  limit: number;
  maxScan: number;
  deadline: number;
  keep?: (record: KafkaRecord) => boolean;
  /** Stop before this offset (default: the partition's end when the read started). */
  until?: bigint;
  /** Long-poll: how long the broker may wait for a first record (default 0: answer at once). */
  waitMs?: number;
}

export interface ReadResult {
  records: KafkaRecord[];
  /** Records read (kept or not). */
  scanned: number;
  /** Where a following read continues. */
  next: bigint;
  /** Why the read stopped. */
  stopped: "limit" | "end" | "scan_limit" | "time_limit";
}

export interface OutgoingRecord {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** A Kafka request failed (broker down, topic gone): a 503 for the HTTP edge, details in the log. */
export class KafkaUnavailableError extends PipelineError {
  override name = "KafkaUnavailableError";
  constructor(what: string, cause: unknown) {
    super(`Kafka ${what} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      retriable: true,
      cause,
    });
  }
}

/** The topic does not exist (or has no partition of that number). */
export class UnknownTopicError extends PipelineError {
  override name = "UnknownTopicError";
  constructor(readonly topic: string) {
    super(`no topic ${topic}`, { retriable: false });
  }
}

/**
 * The @platformatic/kafka connection options of the services' Kafka security settings
 * (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*`, `KAFKA_SSL_CA_FILE`).
 *
 * @example
 *   createKafkaConsole({ brokers, connection: kafkaConnectionOptions(kafkaSecurity(config)) });
 */
export function kafkaConnectionOptions(security: KafkaSecurity): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (security.protocol === "SSL" || security.protocol === "SASL_SSL")
    options.tls = security.caFile ? { ca: readFileSync(security.caFile) } : {};
  if (security.sasl)
    options.sasl = {
      mechanism: security.sasl.mechanism,
      username: security.sasl.username,
      password: security.sasl.password,
    };
  return options;
}

/** Topics one listing covers (names sorted, then cut). */
export const MAX_TOPICS = 500;
const EARLIEST = -2n;
const LATEST = -1n;
const FETCH_BYTES = 1024 * 1024;

export interface KafkaConsoleOptions {
  brokers: string[];
  clientId?: string;
  /** Connection options of @platformatic/kafka (`tls`, `sasl`). */
  connection?: Record<string, unknown>;
  requestTimeoutMs?: number;
}

/**
 * The console's Kafka access through @platformatic/kafka (pure JavaScript, so it runs in Bun where
 * librdkafka does not load): admin calls for topics, groups and offsets, plain `Fetch` requests to
 * a partition's leader for reading (no group is joined, nothing is committed), and an idempotent
 * producer for redrive that names the partition of every record itself.
 *
 * @example
 *   const kafka = createKafkaConsole({ brokers: ["127.0.0.1:9092"] });
 *   const { records } = await kafka.read({ topic: "market.ticks", partition: 2, from: 0n,
 *     limit: 50, maxScan: 10_000, deadline: Date.now() + 5_000 });
 */
export function createKafkaConsole(options: KafkaConsoleOptions): KafkaConsole {
  const base = {
    clientId: options.clientId ?? "api-console",
    bootstrapBrokers: options.brokers,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectTimeout: Math.min(options.requestTimeoutMs ?? 10_000, 5_000),
    retries: 1,
    ...(options.connection ?? {}),
  };
  const admin = new Admin(base);
  const reader = new Consumer({ ...base, groupId: "api-console-reader", autocommit: false });
  let producer: Producer | undefined;

  const call = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof PipelineError) throw error;
      throw new KafkaUnavailableError(what, error);
    }
  };

  const metadataOf = async (topic: string) => {
    const metadata = await call("metadata", () =>
      reader.metadata({ topics: [topic], forceUpdate: false }),
    ).catch((error) => {
      if (/UNKNOWN_TOPIC|does not exist|unknown topic/i.test(String((error as Error).message)))
        throw new UnknownTopicError(topic);
      throw error;
    });
    const found = metadata.topics.get(topic);
    if (!found) throw new UnknownTopicError(topic);
    return found;
  };

  const listOffsets = async (topic: string, partitions: number, timestamp: bigint) => {
    const answer = await call("listOffsets", () =>
      admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
              partitionIndex,
              timestamp,
            })),
          },
        ],
      }),
    );
    const result = new Map<number, bigint>();
    for (const t of answer) for (const p of t.partitions) result.set(p.partitionIndex, p.offset);
    return result;
  };

  const offsets = async (topic: string): Promise<PartitionOffsets[]> => {
    const meta = await metadataOf(topic);
    const [earliest, latest] = await Promise.all([
      listOffsets(topic, meta.partitionsCount, EARLIEST),
      listOffsets(topic, meta.partitionsCount, LATEST),
    ]);
    return Array.from({ length: meta.partitionsCount }, (_, partition) => ({
      partition,
      earliest: earliest.get(partition) ?? 0n,
      latest: latest.get(partition) ?? 0n,
    }));
  };

  return {
    async topics(sinceMs = [], prefix = "") {
      const names = (await call("listTopics", () => admin.listTopics()))
        .filter((name) => name.startsWith(prefix))
        .sort()
        .slice(0, MAX_TOPICS);
      if (names.length === 0) return [];
      const metadata = await call("metadata", () =>
        reader.metadata({ topics: names, forceUpdate: true }),
      );
      const known = names.filter((name) => metadata.topics.has(name));
      /** One ListOffsets request for every partition of every topic at `timestamp`. */
      const everyOffset = async (timestamp: bigint) => {
        const answer = await call("listOffsets", () =>
          admin.listOffsets({
            topics: known.map((name) => ({
              name,
              partitions: Array.from(
                { length: metadata.topics.get(name)?.partitionsCount ?? 0 },
                (_, partitionIndex) => ({ partitionIndex, timestamp }),
              ),
            })),
          }),
        );
        const result = new Map<string, Map<number, bigint>>();
        for (const t of answer)
          result.set(t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.offset])));
        return result;
      };
      const [earliest, latest, ...since] = await Promise.all([
        everyOffset(EARLIEST),
        everyOffset(LATEST),
        ...sinceMs.map((ms) => everyOffset(BigInt(Math.max(0, Math.floor(ms))))),
      ]);
      return known.map((name) => {
        const meta = metadata.topics.get(name);
        const count = meta?.partitionsCount ?? 0;
        const end = (p: number) => latest?.get(name)?.get(p) ?? 0n;
        return {
          name,
          partitions: Array.from({ length: count }, (_, partition) => ({
            partition,
            earliest: earliest?.get(name)?.get(partition) ?? 0n,
            latest: end(partition),
          })),
          replicationFactor: meta?.partitions[0]?.replicas.length ?? 0,
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
      const meta = await metadataOf(topic);
      const [at, latest] = await Promise.all([
        listOffsets(topic, meta.partitionsCount, BigInt(Math.max(0, Math.floor(ms)))),
        listOffsets(topic, meta.partitionsCount, LATEST),
      ]);
      const result = new Map<number, bigint>();
      for (let p = 0; p < meta.partitionsCount; p += 1) {
        const offset = at.get(p) ?? -1n;
        result.set(p, offset < 0n ? (latest.get(p) ?? 0n) : offset);
      }
      return result;
    },
    async retention(topics) {
      const result = new Map<
        string,
        { retentionMs: number | null; cleanupPolicy: string | null }
      >();
      if (topics.length === 0) return result;
      const described = await call("describeConfigs", () =>
        admin.describeConfigs({
          resources: topics.map((name) => ({
            resourceType: 2,
            resourceName: name,
            configurationKeys: ["retention.ms", "cleanup.policy"],
          })),
        }),
      );
      for (const resource of described) {
        const value = (name: string) =>
          resource.configs.find((c) => c.name === name)?.value ?? null;
        const retention = value("retention.ms");
        result.set(resource.resourceName, {
          retentionMs: retention === null ? null : Number(retention),
          cleanupPolicy: value("cleanup.policy"),
        });
      }
      return result;
    },
    async groups() {
      const listed = await call("listGroups", () => admin.listGroups());
      const ids = [...listed.keys()].sort();
      if (ids.length === 0) return [];
      const described = await call("describeGroups", () => admin.describeGroups({ groups: ids }));
      return ids.map((group) => {
        const g = described.get(group);
        return {
          group,
          state: String(g?.state ?? listed.get(group)?.state ?? "Unknown"),
          protocol: g?.protocol ?? "",
          members: [...(g?.members.values() ?? [])].map((m) => ({
            memberId: m.id,
            clientId: m.clientId,
            host: m.clientHost,
            assignment: [...(m.assignments?.values() ?? [])].map((a) => ({
              topic: a.topic,
              partitions: [...a.partitions].sort((x, y) => x - y),
            })),
          })),
        };
      });
    },
    async committed(groups) {
      const result = new Map<string, Map<string, Map<number, bigint>>>();
      for (const group of groups) result.set(group, new Map());
      if (groups.length === 0) return result;
      const answer = await call("listConsumerGroupOffsets", () =>
        admin.listConsumerGroupOffsets({ groups }),
      );
      for (const g of answer)
        for (const t of g.topics) {
          const partitions = new Map<number, bigint>();
          for (const p of t.partitions)
            if (p.committedOffset >= 0n) partitions.set(p.partitionIndex, p.committedOffset);
          if (partitions.size > 0) result.get(g.groupId)?.set(t.name, partitions);
        }
      return result;
    },
    async commitOffsets(group, topic, offsets) {
      await call("alterConsumerGroupOffsets", () =>
        admin.alterConsumerGroupOffsets({
          groupId: group,
          topics: [
            {
              name: topic,
              partitionOffsets: [...offsets].map(([partition, offset]) => ({ partition, offset })),
            },
          ],
        }),
      );
    },
    async read(request) {
      const meta = await metadataOf(request.topic);
      const leader = meta.partitions[request.partition]?.leader;
      if (leader === undefined)
        throw new UnknownTopicError(`${request.topic}/${request.partition}`);
      const records: KafkaRecord[] = [];
      let scanned = 0;
      let next = request.from;
      let until = request.until;
      for (;;) {
        if (records.length >= request.limit) return { records, scanned, next, stopped: "limit" };
        if (until !== undefined && next >= until) return { records, scanned, next, stopped: "end" };
        if (scanned >= request.maxScan) return { records, scanned, next, stopped: "scan_limit" };
        if (Date.now() >= request.deadline)
          return { records, scanned, next, stopped: "time_limit" };
        const waitMs = records.length === 0 ? (request.waitMs ?? 0) : 0;
        const response = await call("fetch", () =>
          reader.fetch({
            node: leader,
            maxWaitTime: waitMs,
            minBytes: waitMs > 0 ? 1 : 0,
            maxBytes: FETCH_BYTES,
            topics: [
              {
                topicId: meta.id,
                partitions: [
                  {
                    partition: request.partition,
                    fetchOffset: next,
                    partitionMaxBytes: FETCH_BYTES,
                    currentLeaderEpoch: -1,
                    lastFetchedEpoch: -1,
                  },
                ],
              },
            ],
          }),
        );
        const part = response.responses[0]?.partitions[0];
        if (!part) throw new KafkaUnavailableError("fetch", new Error("empty fetch answer"));
        if (part.errorCode !== 0)
          throw new KafkaUnavailableError("fetch", new Error(`error code ${part.errorCode}`));
        until ??= part.highWatermark;
        let progressed = false;
        for (const batch of part.records ?? []) {
          for (const record of batch.records) {
            const offset = batch.firstOffset + BigInt(record.offsetDelta);
            if (offset < next) continue;
            if (until !== undefined && offset >= until) break;
            if (records.length >= request.limit || scanned >= request.maxScan) break;
            scanned += 1;
            next = offset + 1n;
            progressed = true;
            const item: KafkaRecord = {
              partition: request.partition,
              offset,
              timestamp: Number(batch.firstTimestamp + record.timestampDelta),
              key: record.key,
              value: record.value,
              headers: record.headers.map(([k, v]) => [k?.toString("utf8") ?? "", v]),
            };
            if (!request.keep || request.keep(item)) records.push(item);
          }
          const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (batch.records.length === 0 && batchEnd > next) {
            next = batchEnd;
            progressed = true;
          }
        }
        if (!progressed) {
          if (waitMs > 0 || next >= part.highWatermark)
            return { records, scanned, next, stopped: "end" };
          // Nothing readable at `next` below the end (a gap): step over it.
          next += 1n;
        }
      }
    },
    async produce(topic, records) {
      producer ??= new Producer({
        ...base,
        clientId: `${base.clientId}-redrive`,
        idempotent: true,
        acks: -1,
      });
      const answer = await call("produce", () =>
        (producer as Producer).send({
          messages: records.map((r) => ({
            topic,
            partition: r.partition,
            key: r.key ?? undefined,
            value: r.value ?? undefined,
            headers: new Map(
              Object.entries(r.headers).map(([k, v]) => [
                Buffer.from(k),
                typeof v === "string" ? Buffer.from(v) : v,
              ]),
            ),
          })),
        }),
      );
      const offsets = (
        answer as { offsets?: { topic: string; partition: number; offset: bigint }[] }
      ).offsets;
      return (offsets ?? []).map((o) => ({ partition: o.partition, offset: String(o.offset) }));
    },
    async close() {
      await Promise.allSettled([admin.close(), reader.close(true), producer?.close()]);
    },
  };
}
