import type { OpenAPIHono } from "@hono/zod-openapi";
import { validateTick } from "@repo/contracts";
import { ApiError, limitBody } from "@repo/platform/http";
import type { KafkaRecord } from "../kafka/console.ts";
import { decodeAvro } from "../kafka/decode.ts";
import { deadLetterOf, planRedrive, type RedrivePlanItem } from "../kafka/dlq.ts";
import {
  type ConsoleContext,
  type ConsoleDeps,
  invalid,
  messageJson,
  micros,
} from "./console-common.ts";
import { MAX_BODY } from "./console-params.ts";
import { routes } from "./console-specs.ts";

/**
 * Dead letters and their redrive (`/v1/kafka/dlq*`).
 *
 * @example
 *   mountDeadLetterRoutes(api, deps, consoleContext(deps));
 */
export function mountDeadLetterRoutes(api: OpenAPIHono, deps: ConsoleDeps, ctx: ConsoleContext) {
  const { now, guarded, operator } = ctx;
  const scanDeadLetters = async (options: {
    fromMs: number;
    toMs: number;
    reason?: string;
    limit: number;
  }) => {
    const topic = deps.topics.deadLetter;
    const deadline = Date.now() + deps.limits.timeoutMs;
    const [ends, starts, untils] = await Promise.all([
      deps.kafka.offsets(topic),
      deps.kafka.offsetsForTime(topic, options.fromMs),
      deps.kafka.offsetsForTime(topic, options.toMs),
    ]);
    const share = Math.max(1, Math.floor(deps.limits.scanMax / Math.max(1, ends.length)));
    const reasons: Record<string, number> = {};
    const keep = (r: KafkaRecord) => {
      const reason = deadLetterOf(r).reason;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      return options.reason === undefined || reason === options.reason;
    };
    const reads = await Promise.all(
      ends.map((p) =>
        deps.kafka.read({
          topic,
          partition: p.partition,
          from: starts.get(p.partition) ?? p.earliest,
          until: untils.get(p.partition) ?? p.latest,
          limit: options.limit,
          maxScan: share,
          deadline,
          keep,
        }),
      ),
    );
    const records = reads
      .flatMap((r) => r.records)
      .sort(
        (a, b) =>
          b.timestamp - a.timestamp || a.partition - b.partition || Number(b.offset - a.offset),
      );
    const worst =
      reads.find((r) => r.stopped === "time_limit") ??
      reads.find((r) => r.stopped === "scan_limit");
    return {
      topic,
      partitions: ends.map((p) => p.partition),
      scanned: reads.reduce((sum, r) => sum + r.scanned, 0),
      stopped: worst?.stopped ?? (reads.some((r) => r.stopped === "limit") ? "limit" : "end"),
      reasons,
      records,
      complete: !worst && reads.every((r) => r.stopped === "end"),
    } as const;
  };

  api.openapi(routes.dlq, async (c) => {
    operator(c, false);
    const q = c.req.valid("query");
    const toMs = q.to ? micros(q.to) / 1000 : now();
    const fromMs = q.from ? micros(q.from) / 1000 : toMs - 86_400_000;
    if (fromMs >= toMs) throw invalid("from", "must be before `to`");
    const scan = await guarded("dead letters", () =>
      scanDeadLetters({ fromMs, toMs, reason: q.reason, limit: q.limit }),
    );
    const deadLetters = await Promise.all(
      scan.records.slice(0, q.limit).map(async (record) => {
        const letter = deadLetterOf(record);
        const message = await messageJson(deps.types, record);
        return {
          ...letter,
          offset: Number(letter.offset),
          timestamp: new Date(letter.timestamp).toISOString(),
          source: {
            ...letter.source,
            offset: letter.source.offset === null ? null : Number(letter.source.offset),
          },
          key: message.key,
          headers: message.headers,
          value: message.value,
        };
      }),
    );
    return c.json(
      {
        topic: scan.topic,
        partitions: scan.partitions,
        scanned: scan.scanned,
        stopped: scan.stopped,
        reasons: scan.reasons,
        deadLetters,
      },
      200,
    );
  });

  api.use("/v1/kafka/dlq/redrive", limitBody(MAX_BODY));
  api.openapi(routes.redrive, async (c) => {
    const who = operator(c, true);
    const body = c.req.valid("json");
    const at = new Date(now()).toISOString();
    const outcome = await guarded("redrive", async () => {
      const topic = deps.topics.deadLetter;
      let records: KafkaRecord[] = [];
      let scanned = 0;
      let complete = true;
      const missing: RedrivePlanItem[] = [];
      if (body.records) {
        const wanted = [
          ...new Map(body.records.map((r) => [`${r.partition}/${r.offset}`, r])).values(),
        ];
        const deadline = Date.now() + deps.limits.timeoutMs;
        for (const want of wanted) {
          const read = await deps.kafka.read({
            topic,
            partition: want.partition,
            from: BigInt(want.offset),
            limit: 1,
            maxScan: 1,
            deadline,
          });
          scanned += read.scanned;
          const record = read.records[0];
          if (record && record.offset === BigInt(want.offset)) records.push(record);
          else
            missing.push({
              dlq: { partition: want.partition, offset: String(want.offset) },
              reason: "unknown",
              key: null,
              refused:
                read.stopped === "time_limit"
                  ? {
                      code: "not_read",
                      message:
                        "not read within API_KAFKA_TIMEOUT_MS; redrive fewer records at once",
                    }
                  : { code: "not_found", message: "no dead letter at this partition and offset" },
            });
        }
      } else if (body.filter) {
        const fromMs = micros(body.filter.from) / 1000;
        const toMs = micros(body.filter.to) / 1000;
        if (fromMs >= toMs) throw invalid("filter.from", "must be before `filter.to`", "body");
        const scan = await scanDeadLetters({
          fromMs,
          toMs,
          reason: body.filter.reason,
          limit: deps.limits.redriveMax + 1,
        });
        scanned = scan.scanned;
        complete = scan.complete;
        records = scan.records.reverse();
        if (!body.dryRun && !complete)
          throw invalid(
            "filter",
            `the range holds more than could be read in one request (${scan.scanned} records scanned); narrow it`,
            "body",
          );
      }
      if (records.length > deps.limits.redriveMax)
        throw invalid(
          body.records ? "records" : "filter",
          `matches more than ${deps.limits.redriveMax} dead letters (API_REDRIVE_MAX); narrow it`,
          "body",
        );
      const targets = new Map<string, number>();
      for (const name of [deps.topics.ticks]) {
        const ends = await deps.kafka.offsets(name).catch(() => []);
        if (ends.length > 0) targets.set(name, ends.length);
      }
      const plan = [
        ...records.map((record) =>
          planRedrive(record, {
            dlqTopic: topic,
            allowed: [deps.topics.ticks],
            partitions: targets,
            by: who,
            at,
          }),
        ),
        ...missing,
      ];
      // The checks the consumer will make, made first, so a record whose cause is still there is
      // reported by the dry run instead of being dead-lettered again.
      for (const item of plan) {
        if (!item.record) continue;
        const read = await decodeAvro(deps.types, item.record.value);
        if ("avro" in read) {
          const issues = validateTick(read.avro, {
            decodedFromAvro: true,
            maxFutureSkewMs: deps.maxFutureSkewMs,
          });
          if (issues.length > 0) {
            item.refused = {
              code: "still_invalid",
              message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
            };
            item.record = undefined;
          }
        } else if (read.encoding === "hex" && read.reason === "registry_unavailable") {
          throw new ApiError(
            503,
            "registry_unavailable",
            "the schema registry is unavailable, so the records cannot be checked; retry later",
            {},
            { "Retry-After": "5" },
          );
        } else {
          item.refused = {
            code: "still_undecodable",
            message:
              read.encoding === "hex" ? `${read.reason}: ${read.detail}` : "the value is null",
          };
          item.record = undefined;
        }
      }
      const sendable = plan.filter((p) => p.record);
      if (!body.dryRun && body.expect !== undefined && body.expect !== sendable.length)
        throw new ApiError(
          409,
          "plan_changed",
          `the dry run found ${body.expect} records to send, now ${sendable.length}; run the dry run again`,
          { sendable: sendable.length },
        );
      const sentOffsets = new Map<RedrivePlanItem, string>();
      if (!body.dryRun && sendable.length > 0) {
        const byTopic = new Map<string, RedrivePlanItem[]>();
        for (const item of sendable) {
          const list = byTopic.get(item.target?.topic as string) ?? [];
          list.push(item);
          byTopic.set(item.target?.topic as string, list);
        }
        for (const [target, items] of byTopic) {
          const offsets = await deps.kafka.produce(
            target,
            items.map((i) => i.record as NonNullable<RedrivePlanItem["record"]>),
          );
          items.forEach((item, index) => {
            const offset = offsets[index]?.offset;
            if (offset !== undefined) sentOffsets.set(item, offset);
          });
        }
        deps.log.info({ operator: who, sent: sendable.length }, "dead letters redriven");
      }
      const refused: Record<string, number> = {};
      for (const item of plan)
        if (item.refused) refused[item.refused.code] = (refused[item.refused.code] ?? 0) + 1;
      return {
        dryRun: body.dryRun,
        matched: plan.length,
        sendable: sendable.length,
        refused,
        sent: body.dryRun ? 0 : sendable.length,
        scanned,
        complete,
        items: plan.slice(0, 200).map((item) => ({
          dlq: { partition: item.dlq.partition, offset: Number(item.dlq.offset) },
          reason: item.reason,
          key: item.key,
          ...(item.target ? { target: item.target } : {}),
          ...(item.refused ? { refused: item.refused } : {}),
          ...(sentOffsets.has(item) ? { sentOffset: Number(sentOffsets.get(item)) } : {}),
        })),
      };
    });
    return c.json(outcome, 200);
  });
}
