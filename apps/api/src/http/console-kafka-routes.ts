import type { OpenAPIHono } from "@hono/zod-openapi";
import { parseTimestamp } from "@repo/contracts";
import { ApiError, limitBody } from "@repo/platform/http";
import { type ConsoleContext, type ConsoleDeps, invalid, micros, round } from "./console-common.ts";
import { MAX_BODY } from "./console-params.ts";
import { routes } from "./console-specs.ts";

/**
 * Topics, consumer groups and group offset resets (`/v1/kafka/topics`, `/v1/kafka/groups*`).
 *
 * @example
 *   mountKafkaRoutes(api, deps, consoleContext(deps));
 */
export function mountKafkaRoutes(api: OpenAPIHono, deps: ConsoleDeps, ctx: ConsoleContext) {
  const { now, lag, guarded, operator } = ctx;
  api.openapi(routes.topics, async (c) => {
    const { prefix } = c.req.valid("query");
    const at = now();
    const topics = await guarded("topics", async () => {
      const all = await deps.kafka.topics([at - 60_000, at - 300_000], prefix ?? "");
      const retention = await deps.kafka.retention(all.map((t) => t.name));
      return all.map((topic) => {
        const since = (from: Map<number, bigint> | undefined) =>
          topic.partitions.reduce(
            (sum, p) => sum + Number(p.latest - (from?.get(p.partition) ?? p.latest)),
            0,
          );
        const info = retention.get(topic.name);
        return {
          name: topic.name,
          partitions: topic.partitions.map((p) => ({
            partition: p.partition,
            earliest: Number(p.earliest),
            latest: Number(p.latest),
            records: Number(p.latest - p.earliest),
          })),
          records: topic.partitions.reduce((sum, p) => sum + Number(p.latest - p.earliest), 0),
          replicationFactor: topic.replicationFactor,
          retentionMs: info?.retentionMs ?? null,
          cleanupPolicy: info?.cleanupPolicy ?? null,
          perSecond: {
            last1m: round(since(topic.since[0]) / 60),
            last5m: round(since(topic.since[1]) / 300),
          },
        };
      });
    });
    return c.json({ topics }, 200);
  });

  api.openapi(routes.groups, async (c) => {
    const query = c.req.valid("query");
    const at = now();
    const groups = await guarded("groups", async () => {
      const all = (await deps.kafka.groups())
        .filter(
          (g) =>
            (!query.prefix || g.group.startsWith(query.prefix)) &&
            (!query.group || g.group === query.group),
        )
        .slice(0, 200);
      const ends = new Map<string, Promise<Map<number, bigint>>>();
      const endsOf = (topic: string) => {
        let found = ends.get(topic);
        if (!found) {
          found = deps.kafka
            .offsets(topic)
            .then((list) => new Map(list.map((p) => [p.partition, p.latest])));
          ends.set(topic, found);
        }
        return found;
      };
      const committedByGroup = await deps.kafka.committed(all.map((g) => g.group));
      let ageReads = 64;
      return Promise.all(
        all.map(async (group) => {
          const committed =
            committedByGroup.get(group.group) ?? new Map<string, Map<number, bigint>>();
          const owner = new Map<string, string>();
          for (const m of group.members)
            for (const a of m.assignment)
              for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.clientId || m.memberId);
          const partitions = [];
          for (const [topic, offsets] of [...committed].sort(([a], [b]) => a.localeCompare(b))) {
            const latest = await endsOf(topic).catch(() => new Map<number, bigint>());
            for (const [partition, offset] of [...offsets].sort(([a], [b]) => a - b)) {
              const end = latest.get(partition) ?? offset;
              const behind = end > offset ? Number(end - offset) : 0;
              let lagSeconds: number | null = behind === 0 ? 0 : null;
              if (behind > 0 && ageReads > 0) {
                ageReads -= 1;
                const oldest = await deps.kafka.read({
                  topic,
                  partition,
                  from: offset,
                  limit: 1,
                  maxScan: 1,
                  deadline: Date.now() + deps.limits.timeoutMs,
                });
                const record = oldest.records[0];
                if (record) lagSeconds = round(Math.max(0, at - record.timestamp) / 1000);
              }
              partitions.push({
                topic,
                partition,
                committed: Number(offset),
                latest: Number(end),
                lag: behind,
                lagSeconds,
                member: owner.get(`${topic}/${partition}`) ?? null,
              });
            }
          }
          const records = partitions.reduce((sum, p) => sum + p.lag, 0);
          const seconds = partitions.some((p) => p.lagSeconds === null && p.lag > 0)
            ? null
            : partitions.reduce((max, p) => Math.max(max, p.lagSeconds ?? 0), 0);
          return {
            ...group,
            partitions,
            lag: { records, seconds },
            trend: lag.record(group.group, at, records),
          };
        }),
      );
    });
    return c.json({ groups }, 200);
  });

  api.use("/v1/kafka/groups/:group/offsets", limitBody(MAX_BODY));
  api.openapi(routes.resetOffsets, async (c) => {
    operator(c, true);
    const { group } = c.req.valid("param");
    const body = c.req.valid("json");
    const result = await guarded("offset reset", async () => {
      const found = (await deps.kafka.groups()).find((g) => g.group === group);
      const committed =
        (await deps.kafka.committed([group])).get(group) ?? new Map<string, Map<number, bigint>>();
      if (!found && committed.size === 0)
        throw new ApiError(404, "unknown_group", `no consumer group ${group}`, {
          issues: [{ path: "group", in: "path", message: "no such consumer group" }],
        });
      if (
        found &&
        (found.members.length > 0 || !["Empty", "Dead", "EMPTY", "DEAD"].includes(found.state))
      )
        throw new ApiError(
          409,
          "group_active",
          `group ${group} has ${found.members.length} active member(s) (state ${found.state}); stop its consumers first`,
          { state: found.state, members: found.members.length },
        );
      const topics = body.topic ? [body.topic] : [...committed.keys()].sort();
      if (topics.length === 0)
        throw invalid(
          "topic",
          "the group has no committed offsets; name the topic to reset",
          "body",
        );
      const out = [];
      for (const topic of topics) {
        const ends = await deps.kafka.offsets(topic);
        const targets =
          body.to === "timestamp"
            ? await deps.kafka.offsetsForTime(
                topic,
                parseTimestamp(body.timestamp as string).ok
                  ? micros(body.timestamp as string) / 1000
                  : 0,
              )
            : new Map(
                ends.map((p) => [p.partition, body.to === "earliest" ? p.earliest : p.latest]),
              );
        if (!body.dryRun) await deps.kafka.commitOffsets(group, topic, targets);
        out.push({
          topic,
          partitions: [...targets]
            .sort(([a], [b]) => a - b)
            .map(([partition, to]) => {
              const from = committed.get(topic)?.get(partition);
              return { partition, from: from === undefined ? null : Number(from), to: Number(to) };
            }),
        });
      }
      return out;
    });
    deps.log.info({ group, to: body.to, dryRun: body.dryRun }, "consumer group offsets reset");
    return c.json({ group, dryRun: body.dryRun, topics: result }, 200);
  });
}
