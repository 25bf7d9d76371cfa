// The Messages view of the Kafka console: seek, symbol search, NDJSON export and the live tail.
import type { MessageJson, MessagesJson, TopicJson } from "../http/console-responses.ts";
import type { ConsoleView } from "./console-types.ts";
import { el, row, table } from "./dom.ts";

function messageRows(list: MessageJson[]) {
  return list.map((m) => {
    const value =
      m.value.encoding === "json"
        ? el("pre", { class: "decoded" }, JSON.stringify(m.value.json))
        : m.value.encoding === "hex"
          ? el(
              "div",
              { class: "undecodable" },
              el("strong", {}, `${m.value.reason}: `),
              m.value.detail,
              el("pre", { class: "hex" }, m.value.hex + (m.value.truncated ? " …" : "")),
            )
          : "null";
    return row([String(m.partition), String(m.offset), m.timestamp, m.key ?? "—", value], {
      "data-offset": String(m.offset),
      "data-encoding": m.value.encoding,
    });
  });
}

/**
 * A topic's messages by partition, offset, time or symbol, an NDJSON export link and the live tail.
 *
 * @example
 *   await messagesView(ctx); // draws into ctx.body
 */
export async function messagesView(ctx: ConsoleView) {
  const { body, call, fail, done } = ctx;
  const list = await call<{ topics: TopicJson[] }>(
    `/v1/kafka/topics?prefix=${encodeURIComponent(ctx.prefix)}`,
  );
  const topic = el("select", {
    id: "messages-topic",
    "aria-label": "Topic",
  }) as HTMLSelectElement;
  for (const t of list.topics) topic.add(new Option(t.name, t.name));
  const field = (id: string, placeholder: string) =>
    el("input", { id, placeholder, size: "12" }) as HTMLInputElement;
  const partition = field("messages-partition", "partition");
  const offset = field("messages-offset", "offset");
  const timestamp = field("messages-timestamp", "time (ISO)");
  const symbol = field("messages-symbol", "symbol");
  const limit = field("messages-limit", "limit");
  limit.value = "50";
  const read = el("button", { type: "button", id: "messages-read" }, "Read");
  const follow = el("button", { type: "button", id: "messages-tail" }, "Live tail");
  const results = el("div", { id: "messages-results" });
  body.append(
    el("div", { class: "form" }, topic, partition, offset, timestamp, symbol, limit, read, follow),
    results,
  );
  // The live tail: an EventSource on /tail (it sends no Authorization header, so it works where
  // message contents need no operator token: an api listening on loopback).
  follow.addEventListener("click", () => {
    const query = new URLSearchParams();
    if (partition.value.trim()) query.set("partition", partition.value.trim());
    if (symbol.value.trim()) query.set("symbol", symbol.value.trim());
    const rows = el("tbody", {});
    results.replaceChildren(
      el("p", { id: "tail-summary" }, `live tail of ${topic.value}`),
      el(
        "table",
        { class: "console-table", id: "tail-table" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            ...["Partition", "Offset", "Time", "Key", "Value"].map((h) => el("th", {}, h)),
          ),
        ),
        rows,
      ),
    );
    const tail = new EventSource(
      `/v1/kafka/topics/${encodeURIComponent(topic.value)}/tail?${query}`,
    );
    ctx.follow(tail);
    tail.addEventListener("message", (event) => {
      const message = JSON.parse((event as MessageEvent<string>).data) as MessageJson;
      rows.prepend(...messageRows([message]));
      while (rows.rows.length > 200) rows.deleteRow(-1);
    });
    done("tailing");
  });
  read.addEventListener("click", async () => {
    ctx.follow(null);
    const query = new URLSearchParams({ limit: limit.value || "50" });
    for (const [name, input] of [
      ["partition", partition],
      ["offset", offset],
      ["timestamp", timestamp],
      ["symbol", symbol],
    ] as const)
      if (input.value.trim()) query.set(name, input.value.trim());
    try {
      const answer = await call<MessagesJson>(
        `/v1/kafka/topics/${encodeURIComponent(topic.value)}/messages?${query}`,
      );
      results.replaceChildren(
        el(
          "p",
          { id: "messages-summary" },
          `${answer.messages.length} messages; partitions ${answer.partitions.join(", ")}; ${answer.scanned} records scanned (${answer.stopped})`,
        ),
        table(["Partition", "Offset", "Time", "Key", "Value"], messageRows(answer.messages), {
          id: "messages-table",
        }),
      );
      done("read");
    } catch (error) {
      fail(error);
    }
  });
}
