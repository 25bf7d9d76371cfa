// The Kafka console views: topics, consumer groups, messages, dead letters (with redrive: a dry
// run, then a confirmation) and schema diffs, over the api's /v1/kafka and /v1/schemas routes.
import type {
  DeadLettersJson,
  GroupJson,
  MessageJson,
  MessagesJson,
  RedriveJson,
  SchemaDiffJson,
  SchemasJson,
  TopicJson,
} from "../http/console-responses.ts";

type View = "topics" | "groups" | "messages" | "dlq" | "schemas";

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};

const row = (cells: (Node | string)[], attributes: Record<string, string> = {}) =>
  el("tr", attributes, ...cells.map((cell) => el("td", {}, cell)));

const table = (
  headers: string[],
  rows: HTMLTableRowElement[],
  attributes: Record<string, string> = {},
) =>
  el(
    "table",
    { class: "console-table", ...attributes },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );

const duration = (ms: number | null) =>
  ms === null
    ? "—"
    : ms % 86_400_000 === 0
      ? `${ms / 86_400_000} d`
      : `${Math.round(ms / 3_600_000)} h`;

/**
 * Mounts the console in `root`: a tab per view, an operator-token field (kept for the tab's
 * session, sent as `Authorization: Bearer`), and a topic-prefix filter (`?prefix=` in the URL).
 */
export function createConsole(root: HTMLElement) {
  const params = new URLSearchParams(location.search);
  let view: View = (params.get("view") as View) || "topics";
  let prefix = params.get("prefix") ?? "";
  let timer: ReturnType<typeof setInterval> | undefined;
  let tail: EventSource | undefined;
  const body = el("div", { id: "console-view" });
  const status = el("span", { id: "console-status" });
  const token = el("input", {
    id: "operator-token",
    type: "password",
    placeholder: "operator token",
    autocomplete: "off",
  }) as HTMLInputElement;
  token.value = sessionStorage.getItem("operatorToken") ?? "";
  token.addEventListener("change", () => sessionStorage.setItem("operatorToken", token.value));
  const prefixInput = el("input", {
    id: "topic-prefix",
    placeholder: "topic prefix",
    value: prefix,
  }) as HTMLInputElement;
  prefixInput.addEventListener("change", () => {
    prefix = prefixInput.value.trim();
    show(view);
  });
  const tabs = el("nav", { id: "console-tabs" });
  for (const [name, label] of [
    ["topics", "Topics"],
    ["groups", "Consumer groups"],
    ["messages", "Messages"],
    ["dlq", "Dead letters"],
    ["schemas", "Schemas"],
  ] as const) {
    const button = el("button", { type: "button", "data-view": name }, label);
    button.addEventListener("click", () => show(name));
    tabs.append(button);
  }
  root.append(
    el("div", { class: "toolbar" }, el("h2", {}, "Kafka"), tabs, prefixInput, token, status),
    body,
  );

  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.body) headers["content-type"] = "application/json";
    if (token.value) headers.authorization = `Bearer ${token.value}`;
    const response = await fetch(path, { ...init, headers });
    const answer = (await response.json()) as T & { error?: { message: string } };
    if (!response.ok)
      throw new Error(answer.error?.message ?? `${path} answered ${response.status}`);
    return answer;
  }
  const fail = (error: unknown) => {
    status.textContent = `error: ${(error as Error).message}`;
    status.dataset.state = "error";
  };
  const done = (text: string) => {
    status.textContent = text;
    status.dataset.state = "ok";
  };

  function remember() {
    const url = new URLSearchParams(location.search);
    url.set("view", view);
    if (prefix) url.set("prefix", prefix);
    else url.delete("prefix");
    history.replaceState(null, "", `?${url}`);
  }

  function show(next: View) {
    view = next;
    remember();
    if (timer) clearInterval(timer);
    timer = undefined;
    tail?.close();
    tail = undefined;
    for (const button of tabs.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.view === next));
    body.replaceChildren();
    body.dataset.view = next;
    const views = { topics, groups, messages, dlq, schemas };
    views[next]().catch(fail);
  }

  async function topics() {
    const load = async () => {
      const answer = await call<{ topics: TopicJson[] }>(
        `/v1/kafka/topics?prefix=${encodeURIComponent(prefix)}`,
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
    timer = setInterval(() => load().catch(fail), 5_000);
  }

  async function groups() {
    const load = async () => {
      const answer = await call<{ groups: GroupJson[] }>(
        `/v1/kafka/groups?prefix=${encodeURIComponent(prefix)}`,
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
    timer = setInterval(() => load().catch(fail), 5_000);
  }

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

  async function messages() {
    const list = await call<{ topics: TopicJson[] }>(
      `/v1/kafka/topics?prefix=${encodeURIComponent(prefix)}`,
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
      el(
        "div",
        { class: "form" },
        topic,
        partition,
        offset,
        timestamp,
        symbol,
        limit,
        read,
        follow,
      ),
      results,
    );
    // The live tail: an EventSource on /tail (it sends no Authorization header, so it works where
    // message contents need no operator token: an api listening on loopback).
    follow.addEventListener("click", () => {
      tail?.close();
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
      tail = new EventSource(`/v1/kafka/topics/${encodeURIComponent(topic.value)}/tail?${query}`);
      tail.addEventListener("message", (event) => {
        const message = JSON.parse((event as MessageEvent<string>).data) as MessageJson;
        rows.prepend(...messageRows([message]));
        while (rows.rows.length > 200) rows.deleteRow(-1);
      });
      done("tailing");
    });
    read.addEventListener("click", async () => {
      tail?.close();
      tail = undefined;
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

  async function dlq() {
    const reason = el("input", {
      id: "dlq-reason",
      placeholder: "reason",
      size: "18",
    }) as HTMLInputElement;
    const load = el("button", { type: "button", id: "dlq-load" }, "Load");
    const dry = el("button", { type: "button", id: "dlq-dry-run" }, "Dry run redrive of selected");
    const results = el("div", { id: "dlq-results" });
    const plan = el("div", { id: "dlq-plan" });
    body.append(el("div", { class: "form" }, reason, load, dry), plan, results);
    const selected = () =>
      [...results.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")].map(
        (box) => ({
          partition: Number(box.dataset.partition),
          offset: Number(box.dataset.offset),
        }),
      );
    const refresh = async () => {
      const query = new URLSearchParams({ limit: "200" });
      if (reason.value.trim()) query.set("reason", reason.value.trim());
      const answer = await call<DeadLettersJson>(`/v1/kafka/dlq?${query}`);
      results.replaceChildren(
        el(
          "p",
          {},
          `${answer.deadLetters.length} dead letters in ${answer.topic}; by reason: ${
            Object.entries(answer.reasons)
              .map(([r, n]) => `${r} ${n}`)
              .join(", ") || "none"
          }`,
        ),
        table(
          ["", "Reason", "Origin", "Time", "Key", "Value"],
          answer.deadLetters.map((d) => {
            const box = el("input", {
              type: "checkbox",
              "data-partition": String(d.partition),
              "data-offset": String(d.offset),
              "aria-label": `select ${d.partition}/${d.offset}`,
            });
            const value =
              d.value.encoding === "json"
                ? el("pre", { class: "decoded" }, JSON.stringify(d.value.json))
                : d.value.encoding === "hex"
                  ? el(
                      "div",
                      { class: "undecodable" },
                      `${d.value.reason}: `,
                      el("pre", { class: "hex" }, d.value.hex),
                    )
                  : "null";
            return row(
              [
                box,
                `${d.reason}${d.truncated ? " (truncated)" : ""}: ${d.detail}`,
                `${d.source.topic ?? "?"}/${d.source.partition ?? "?"}/${d.source.offset ?? "?"}`,
                d.timestamp,
                d.key ?? "—",
                value,
              ],
              { "data-dlq": `${d.partition}/${d.offset}`, "data-key": d.key ?? "" },
            );
          }),
          { id: "dlq-table" },
        ),
      );
      done("dead letters loaded");
    };
    load.addEventListener("click", () => refresh().catch(fail));
    dry.addEventListener("click", async () => {
      const records = selected();
      if (records.length === 0) return fail(new Error("select dead letters first"));
      try {
        const answer = await call<RedriveJson>("/v1/kafka/dlq/redrive", {
          method: "POST",
          body: JSON.stringify({ records, dryRun: true }),
        });
        const confirm = el(
          "button",
          { type: "button", id: "dlq-confirm" },
          `Confirm: send ${answer.sendable}`,
        );
        plan.replaceChildren(
          el(
            "p",
            { id: "dlq-plan-summary", "data-sendable": String(answer.sendable) },
            `Dry run: ${answer.sendable} of ${answer.matched} would be sent` +
              (Object.keys(answer.refused).length
                ? `; refused: ${Object.entries(answer.refused)
                    .map(([r, n]) => `${r} ${n}`)
                    .join(", ")}`
                : ""),
          ),
          ...answer.items
            .filter((i) => i.refused)
            .map((i) =>
              el(
                "p",
                { class: "refused" },
                `${i.dlq.partition}/${i.dlq.offset}: ${i.refused?.message}`,
              ),
            ),
          confirm,
        );
        confirm.addEventListener("click", async () => {
          try {
            const sent = await call<RedriveJson>("/v1/kafka/dlq/redrive", {
              method: "POST",
              body: JSON.stringify({ records, dryRun: false, expect: answer.sendable }),
            });
            plan.replaceChildren(
              el(
                "p",
                { id: "dlq-sent", "data-sent": String(sent.sent) },
                `Redriven: ${sent.sent} sent`,
              ),
            );
            done("redriven");
          } catch (error) {
            fail(error);
          }
        });
        done("dry run");
      } catch (error) {
        fail(error);
      }
    });
    await refresh();
  }

  async function schemas() {
    const answer = await call<SchemasJson>("/v1/schemas");
    const shown = answer.subjects.filter((s) => !prefix || s.subject.startsWith(prefix));
    const subject = el("select", {
      id: "schema-subject",
      "aria-label": "Subject",
    }) as HTMLSelectElement;
    for (const s of shown)
      subject.add(new Option(`${s.subject} (v${s.versions.join(", v")})`, s.subject));
    const a = el("input", {
      id: "schema-a",
      placeholder: "from version",
      size: "6",
      value: "1",
    }) as HTMLInputElement;
    const b = el("input", {
      id: "schema-b",
      placeholder: "to version",
      size: "6",
      value: "latest",
    }) as HTMLInputElement;
    const compare = el("button", { type: "button", id: "schema-diff" }, "Diff");
    const diff = el("div", { id: "schema-diff-result" });
    body.append(
      el("p", {}, `Global compatibility: ${answer.compatibility ?? "—"}`),
      table(
        ["Subject", "Versions", "Compatibility", "Latest id"],
        shown.map((s) =>
          row([
            s.subject,
            s.versions.join(", "),
            s.compatibility ?? "—",
            String(s.latest?.id ?? "—"),
          ]),
        ),
        { id: "schemas-table" },
      ),
      el("div", { class: "form" }, subject, a, b, compare),
      diff,
    );
    compare.addEventListener("click", async () => {
      try {
        const result = await call<SchemaDiffJson>(
          `/v1/schemas/${encodeURIComponent(subject.value)}/versions/${encodeURIComponent(a.value)}/diff/${encodeURIComponent(b.value)}`,
        );
        diff.replaceChildren(
          el(
            "p",
            {},
            `v${result.from.version} (id ${result.from.id}) → v${result.to.version} (id ${result.to.id})`,
          ),
          result.changes.length === 0
            ? el("p", { class: "no-changes" }, "No changes")
            : el(
                "ul",
                { id: "schema-changes" },
                ...result.changes.map((change) => {
                  const { path, change: kind, ...rest } = change as Record<string, unknown>;
                  return el(
                    "li",
                    { "data-change": String(kind) },
                    `${path}: ${kind} ${JSON.stringify(rest)}`,
                  );
                }),
              ),
        );
        done("diffed");
      } catch (error) {
        fail(error);
      }
    });
    done(`${shown.length} subjects`);
  }

  show(view);
}
