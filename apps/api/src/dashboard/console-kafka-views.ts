// The Topics and Consumer groups views of the Kafka console.
import type { GroupJson, TopicJson } from "../http/console-responses.ts";
import type { ConsoleView } from "./console-types.ts";
import { duration, el, row, table } from "./dom.ts";

/**
 * Every topic with its partitions, offsets, rates and retention, reloaded every 5 s.
 *
 * @example
 *   await topicsView(ctx); // draws into ctx.body
 */
export async function topicsView(ctx: ConsoleView) {
  const { body, call, done, every } = ctx;
  const load = async () => {
    const answer = await call<{ topics: TopicJson[] }>(
      `/v1/kafka/topics?prefix=${encodeURIComponent(ctx.prefix)}`,
    );
    body.replaceChildren(
      table(
        [
          "Topic",
          "Partitions",
          "Earliest",
          "Latest",
          "Records",
          "Records/s (1m)",
          "Records/s (5m)",
          "Retention",
        ],
        answer.topics.map((t) =>
          row(
            [
              t.name,
              String(t.partitions.length),
              String(t.partitions.reduce((s, p) => s + p.earliest, 0)),
              String(t.partitions.reduce((s, p) => s + p.latest, 0)),
              String(t.records),
              t.perSecond.last1m.toFixed(2),
              t.perSecond.last5m.toFixed(2),
              duration(t.retentionMs),
            ],
            {
              "data-topic": t.name,
              "data-latest": String(t.partitions.reduce((s, p) => s + p.latest, 0)),
            },
          ),
        ),
        { id: "topics-table" },
      ),
    );
    done(`${answer.topics.length} topics`);
  };
  await load();
  every(5_000, load);
}

/**
 * Every consumer group with its state, members and lag per partition, reloaded every 5 s.
 *
 * @example
 *   await groupsView(ctx); // draws into ctx.body
 */
export async function groupsView(ctx: ConsoleView) {
  const { body, call, done, every } = ctx;
  const load = async () => {
    const answer = await call<{ groups: GroupJson[] }>(
      `/v1/kafka/groups?prefix=${encodeURIComponent(ctx.prefix)}`,
    );
    body.replaceChildren(
      ...answer.groups.map((g) =>
        el(
          "details",
          { class: "group", "data-group": g.group, "data-lag": String(g.lag.records), open: "" },
          el(
            "summary",
            {},
            `${g.group} — ${g.state}, ${g.members.length} member(s), lag ${g.lag.records} records` +
              (g.lag.seconds === null ? "" : ` / ${g.lag.seconds.toFixed(1)} s`) +
              `, trend ${g.trend.direction}`,
          ),
          table(
            ["Topic", "Partition", "Member", "Committed", "Latest", "Lag", "Lag (s)"],
            g.partitions.map((p) =>
              row([
                p.topic,
                String(p.partition),
                p.member ?? "—",
                String(p.committed),
                String(p.latest),
                String(p.lag),
                p.lagSeconds === null ? "—" : p.lagSeconds.toFixed(1),
              ]),
            ),
          ),
        ),
      ),
    );
    done(`${answer.groups.length} groups`);
  };
  await load();
  every(5_000, load);
}
