import type {
  IAdminClient,
  LibrdKafkaError,
  KafkaConsumer as RdKafkaConsumer,
} from "@confluentinc/kafka-javascript";
import { rdkafka } from "./addon.ts";
import { baseKafkaConfig } from "./config.ts";
import { describeTopicConfigs } from "./topic-configs.ts";
import type { KafkaAdmin, KafkaAdminOptions, OffsetQuery, PartitionOffset } from "./types.ts";

/** librdkafka's ConsumerGroupStates, by Kafka's names for them. */
const GROUP_STATES = [
  "Unknown",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
  "Empty",
];
const UNKNOWN_TOPIC = 3;

const stateName = (state: number) => GROUP_STATES[state] ?? "Unknown";

/**
 * {@link KafkaAdmin} on librdkafka's admin client (Node only: loads librdkafka). Topic configs come
 * from {@link describeTopicConfigs}, since the binding has no DescribeConfigs.
 *
 * @example
 *   const admin = createKafkaAdmin({ brokers: ["127.0.0.1:9092"], clientId: "api" });
 *   const [end] = await admin.listOffsets([{ topic: "market.ticks", partition: 0, at: "latest" }]);
 */
export function createKafkaAdmin(options: KafkaAdminOptions): KafkaAdmin {
  const timeout = options.timeoutMs ?? 10_000;
  let client: IAdminClient | undefined;
  const admin = (): IAdminClient => {
    client ??= rdkafka.AdminClient.create({
      ...baseKafkaConfig(options.brokers, `${options.clientId}-admin`, options.security),
    } as never);
    return client;
  };
  /** Runs one callback-style admin call as a promise. */
  const call = <T>(run: (done: (error: LibrdKafkaError | null, result: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      run((error, result) => (error ? reject(error) : resolve(result))),
    );

  return {
    async listTopics() {
      return call<string[]>((done) => admin().listTopics({ timeout }, done as never));
    },
    async describeTopics(topics) {
      if (topics.length === 0) return [];
      const described = await call<import("@confluentinc/kafka-javascript").TopicDescription[]>(
        (done) => admin().describeTopics(topics, { timeout }, done as never),
      );
      const byName = new Map(described.map((d) => [d.name, d]));
      return topics.map((name) => {
        const found = byName.get(name);
        if (!found || found.error) {
          if (found?.error && found.error.code !== UNKNOWN_TOPIC) throw found.error;
          return { name, missing: true, partitions: [] };
        }
        return {
          name,
          missing: false,
          partitions: found.partitions
            .map((p) => ({
              partition: p.partition,
              leader: p.leader?.id ?? null,
              replicas: p.replicas.map((r) => r.id),
            }))
            .sort((a, b) => a.partition - b.partition),
        };
      });
    },
    async listOffsets(queries) {
      if (queries.length === 0) return [];
      const spec = (at: OffsetQuery) =>
        at === "earliest"
          ? rdkafka.OffsetSpec.EARLIEST
          : at === "latest"
            ? rdkafka.OffsetSpec.LATEST
            : new rdkafka.OffsetSpec(Math.max(0, Math.floor(at.timestamp)));
      // One query per partition and spec: the admin API takes each partition once per request.
      const groups = new Map<string, typeof queries>();
      for (const q of queries) {
        const key = q.at === "earliest" || q.at === "latest" ? q.at : `t${q.at.timestamp}`;
        groups.set(key, [...(groups.get(key) ?? []), q]);
      }
      const answers = await Promise.all(
        [...groups.values()].map((list) =>
          call<import("@confluentinc/kafka-javascript").ListOffsetsResult[]>((done) =>
            admin().listOffsets(
              list.map((q) => ({ topic: q.topic, partition: q.partition, offset: spec(q.at) })),
              { timeout },
              done as never,
            ),
          ).then((results) => {
            const byKey = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r]));
            return list.map((q) => {
              const found = byKey.get(`${q.topic}\u0000${q.partition}`);
              if (!found) throw new Error(`no offset answered for ${q.topic}/${q.partition}`);
              if (found.error) throw found.error;
              return { query: q, offset: Number(found.offset) };
            });
          }),
        ),
      );
      const byQuery = new Map(answers.flat().map((a) => [a.query, a.offset]));
      return queries.map((q) => ({
        topic: q.topic,
        partition: q.partition,
        offset: byQuery.get(q) ?? -1,
      }));
    },
    async listGroups() {
      const listed = await call<{ groups: { groupId: string; state: number }[] }>((done) =>
        admin().listGroups({ timeout }, done as never),
      );
      return listed.groups.map((g) => ({ groupId: g.groupId, state: stateName(g.state) }));
    },
    async describeGroups(groupIds) {
      if (groupIds.length === 0) return [];
      const described = await call<import("@confluentinc/kafka-javascript").GroupDescriptions>(
        (done) => admin().describeGroups(groupIds, { timeout }, done as never),
      );
      return described.groups.map((g) => ({
        groupId: g.groupId,
        state: stateName(g.state),
        protocol: g.protocol,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          host: m.clientHost,
          assignment: (m.assignment?.topicPartitions ?? []).map((tp) => ({
            topic: tp.topic,
            partition: tp.partition,
          })),
        })),
      }));
    },
    async committedOffsets(groupIds) {
      // librdkafka answers one group per ListConsumerGroupOffsets call.
      const results = await Promise.all(
        groupIds.map((groupId) =>
          call<import("@confluentinc/kafka-javascript").GroupResults[]>((done) =>
            admin().listConsumerGroupOffsets([{ groupId }], { timeout }, done as never),
          ),
        ),
      );
      const committed = new Map<string, PartitionOffset[]>();
      for (const [index, groupId] of groupIds.entries()) {
        const result = results[index]?.[0];
        if (result?.error) throw result.error;
        committed.set(
          groupId,
          (result?.partitions ?? [])
            .filter((p) => !p.error && p.offset >= 0)
            .map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) })),
        );
      }
      return committed;
    },
    async commitGroupOffsets(groupId, offsets) {
      if (offsets.length === 0) return;
      const consumer: RdKafkaConsumer = new rdkafka.KafkaConsumer(
        {
          ...baseKafkaConfig(options.brokers, `${options.clientId}-offsets`, options.security),
          "group.id": groupId,
          "enable.auto.commit": false,
        } as never,
        {},
      );
      await call<unknown>((done) => consumer.connect({ timeout }, done as never));
      try {
        // Without subscribe() the commit carries no member id: Kafka takes it only from an empty group.
        consumer.commitSync(offsets);
      } finally {
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      }
    },
    topicConfigs: (topics, names) =>
      describeTopicConfigs({
        brokers: options.brokers,
        clientId: options.clientId,
        security: options.security,
        timeoutMs: timeout,
        topics,
        names,
      }),
    async close() {
      client?.disconnect();
      client = undefined;
    },
  };
}
