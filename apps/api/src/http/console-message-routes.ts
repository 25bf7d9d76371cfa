import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "@repo/platform/http";
import type { KafkaRecord } from "../kafka/console.ts";
import { partitionForKey } from "../kafka/partitioner.ts";
import {
  type ConsoleContext,
  type ConsoleDeps,
  invalid,
  messageJson,
  micros,
} from "./console-common.ts";
import { MAX_PAGE } from "./console-params.ts";
import { routes } from "./console-specs.ts";
import { remoteAddress, sseMessage, streamEvents } from "./sse.ts";

/**
 * A topic's messages: seek, symbol search, NDJSON export and the live tail (`/v1/kafka/topics/{topic}/messages*`).
 *
 * @example
 *   mountMessageRoutes(api, deps, consoleContext(deps));
 */
export function mountMessageRoutes(api: OpenAPIHono, deps: ConsoleDeps, ctx: ConsoleContext) {
  const { guarded, operator } = ctx;
  api.openapi(routes.messages, async (c) => {
    operator(c, false);
    const { topic } = c.req.valid("param");
    const q = c.req.valid("query");
    if (q.format === "json" && q.limit > MAX_PAGE)
      throw invalid("limit", `must be at most ${MAX_PAGE} (use format=ndjson to export more)`);
    if (q.offset !== undefined && q.timestamp !== undefined)
      throw invalid("offset", "give `offset` or `timestamp`, not both");
    const started = Date.now();
    const deadline = started + deps.limits.timeoutMs;
    const result = await guarded("messages", async () => {
      const ends = await deps.kafka.offsets(topic);
      let partitions = partitionsAsked(ends, q.partition);
      if (q.symbol !== undefined) {
        const partition = partitionForKey(q.symbol, ends.length) as number;
        if (q.partition !== undefined && q.partition !== partition)
          throw invalid("symbol", `${q.symbol} is on partition ${partition}, not ${q.partition}`);
        partitions = [partition];
      }
      if (q.offset !== undefined && partitions.length !== 1)
        throw invalid(
          "offset",
          "needs `partition` or `symbol` (an offset belongs to one partition)",
        );
      const starts = q.timestamp
        ? await deps.kafka.offsetsForTime(topic, micros(q.timestamp) / 1000)
        : undefined;
      const untils = q.to ? await deps.kafka.offsetsForTime(topic, micros(q.to) / 1000) : undefined;
      const keep =
        q.symbol === undefined
          ? undefined
          : (r: KafkaRecord) => r.key?.toString("utf8") === q.symbol;
      const newest = q.offset === undefined && q.timestamp === undefined;
      let scanBudget = deps.limits.scanMax;
      const records: KafkaRecord[] = [];
      const next: Record<string, number> = {};
      let scanned = 0;
      let stopped: "limit" | "end" | "scan_limit" | "time_limit" = "end";
      for (const partition of partitions) {
        const end = ends[partition] as { earliest: bigint; latest: bigint };
        const share = Math.max(
          1,
          Math.floor(scanBudget / Math.max(1, partitions.length - partitions.indexOf(partition))),
        );
        let from =
          q.offset !== undefined ? BigInt(q.offset) : (starts?.get(partition) ?? end.earliest);
        if (newest) {
          const back = BigInt(keep ? share : q.limit);
          from = end.latest - back > end.earliest ? end.latest - back : end.earliest;
        }
        if (from < end.earliest) from = end.earliest;
        const read = await deps.kafka.read({
          topic,
          partition,
          from,
          until: untils?.get(partition),
          limit: newest ? share : q.limit,
          maxScan: share,
          deadline,
          keep,
        });
        scanned += read.scanned;
        scanBudget -= read.scanned;
        next[String(partition)] = Number(read.next);
        const kept = newest ? read.records.slice(-q.limit) : read.records;
        records.push(...kept);
        if (read.stopped !== "end" && read.stopped !== "limit") stopped = read.stopped;
        else if (stopped === "end" && read.stopped === "limit" && !newest) stopped = "limit";
      }
      records.sort(
        (a, b) =>
          a.timestamp - b.timestamp || a.partition - b.partition || Number(a.offset - b.offset),
      );
      const page = newest ? records.slice(-q.limit) : records.slice(0, q.limit);
      // Records read but left out of the page (several partitions merged by time) are where their
      // partition's next page starts.
      if (!newest)
        for (const record of records.slice(q.limit)) {
          const key = String(record.partition);
          if (record.offset < BigInt(next[key] ?? Number.MAX_SAFE_INTEGER))
            next[key] = Number(record.offset);
        }
      return { partitions, scanned, stopped, next, page };
    });
    const messages = await Promise.all(result.page.map((r) => messageJson(deps.types, r)));
    if (q.format === "ndjson") {
      const body = messages.map((m) => JSON.stringify({ topic, ...m })).join("\n");
      return c.body(body ? `${body}\n` : "", 200, {
        "Content-Type": "application/x-ndjson",
        "Content-Disposition": `attachment; filename="${topic}.ndjson"`,
        "X-Records-Scanned": String(result.scanned),
        "X-Scan-Stopped": result.stopped,
      }) as never;
    }
    return c.json(
      {
        topic,
        partitions: result.partitions,
        scanned: result.scanned,
        stopped: result.stopped,
        next: result.next,
        messages,
      },
      200,
    );
  });

  api.openapi(routes.tail, async (c) => {
    operator(c, false);
    const { topic } = c.req.valid("param");
    const q = c.req.valid("query");
    const streams = deps.streams;
    if (!streams) throw new ApiError(404, "not_found", "the live tail is not enabled");
    const ends = await guarded("tail", () => deps.kafka.offsets(topic));
    let partitions = partitionsAsked(ends, q.partition);
    if (q.symbol !== undefined) partitions = [partitionForKey(q.symbol, ends.length) as number];
    if (c.req.method !== "GET")
      return c.body(null, 200, { "Content-Type": "text/event-stream" }) as never;
    const slot = streams.admission.admit(remoteAddress(c));
    if ("refused" in slot) {
      const retryAfter = String(Math.ceil(streams.limits.retryMs / 1000));
      const body = sseMessage(
        "busy",
        { error: { code: slot.refused, message: "every stream slot is taken; retry later" } },
        streams.limits.retryMs,
      );
      return c.body(body, 200, {
        "Content-Type": "text/event-stream",
        "Retry-After": retryAfter,
        Connection: "close",
      }) as never;
    }
    const next = new Map(
      ends.filter((p) => partitions.includes(p.partition)).map((p) => [p.partition, p.latest]),
    );
    const keep =
      q.symbol === undefined ? undefined : (r: KafkaRecord) => r.key?.toString("utf8") === q.symbol;
    type Shown = Awaited<ReturnType<typeof messageJson>>;
    return streamEvents<Shown>(c, {
      ready: {
        topic,
        partitions,
        from: Object.fromEntries([...next].map(([p, o]) => [p, Number(o)])),
      },
      subscribe: ({ send }) => {
        let open = true;
        void (async () => {
          while (open) {
            for (const partition of partitions) {
              if (!open) break;
              try {
                const read = await deps.kafka.read({
                  topic,
                  partition,
                  from: next.get(partition) ?? 0n,
                  limit: 500,
                  maxScan: 500,
                  deadline: Date.now() + deps.limits.timeoutMs,
                  keep,
                });
                next.set(partition, read.next);
                for (const record of read.records)
                  if (open) send(await messageJson(deps.types, record));
              } catch (error) {
                deps.log.warn({ err: error, topic, partition }, "live tail read failed; retrying");
              }
            }
            await new Promise((resolve) => setTimeout(resolve, deps.tailPollMs ?? 500));
          }
        })();
        return () => {
          open = false;
        };
      },
      key: (m) => `${m.partition}/${m.offset}`,
      message: (m) => sseMessage("message", { topic, ...m }),
      limits: streams.limits,
      done: () => slot.release(),
    }) as never;
  });
}

/** Every partition of the topic, or the one asked (a 400 naming `partition` when the topic lacks it). */
function partitionsAsked(ends: readonly { partition: number }[], partition: number | undefined) {
  if (partition === undefined) return ends.map((p) => p.partition);
  if (partition >= ends.length)
    throw invalid("partition", `the topic has ${ends.length} partitions (0-${ends.length - 1})`);
  return [partition];
}
