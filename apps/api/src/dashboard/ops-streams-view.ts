// Operations, Streams: one block per streaming provider with its connections and recent gaps.
import type { StreamsJson } from "../http/ops-responses.ts";
import { el, row, table } from "./dom.ts";
import { callApi } from "./operator-call.ts";
import { age, num, stamp } from "./ops-format.ts";
import type { OpsView } from "./ops-types.ts";

/** Draws the streams view in `body`. */
export async function streamsView({ body }: OpsView) {
  const answer = await callApi<StreamsJson>("/v1/streams");
  if (answer.streams.length === 0) {
    body.replaceChildren(
      el("p", { id: "streams-empty" }, "No WebSocket stream is configured in ingest."),
    );
    return;
  }
  const blocks = answer.streams.map((s) => {
    const name = String(
      (s as { provider?: string; name?: string }).provider ??
        (s as { name?: string }).name ??
        "stream",
    );
    const gaps = (s.recentGaps as Record<string, unknown>[]).map((g) =>
      row([
        stamp(g.from as string),
        stamp(g.to as string),
        String(g.reason ?? ""),
        String(g.status ?? ""),
        String(g.accepted ?? g.why ?? ""),
      ]),
    );
    const connections = (s.connections as Record<string, unknown>[]).map((c) =>
      row([
        String(c.id ?? ""),
        String(c.state ?? ""),
        num(c.messagesPerSecond as number),
        age(c.lastMessageAgeMs as number | null),
        num(c.reconnects as number),
        String((c.lastError as { code?: string } | null)?.code ?? ""),
      ]),
    );
    return el(
      "div",
      { class: "stream", "data-stream": name, "data-state": s.state },
      el(
        "p",
        {},
        el("strong", {}, name),
        ` ${s.state} · ${num(s.messagesPerSecond)} msg/s · last frame ${age(s.lastMessageAgeMs)} ago · ${num(s.reconnects)} reconnects · gaps ${s.gaps.detected} detected, ${s.gaps.recovered} recovered, ${s.gaps.unrecovered} unrecovered, ${s.gaps.pending} pending`,
      ),
      table(
        ["connection", "state", "msg/s", "last frame", "reconnects", "last error"],
        connections,
      ),
      gaps.length
        ? table(["gap from", "to", "reason", "status", "recovered / why"], gaps, {
            class: "console-table gaps",
          })
        : el("p", {}, "No gap."),
    );
  });
  body.replaceChildren(...blocks);
}
