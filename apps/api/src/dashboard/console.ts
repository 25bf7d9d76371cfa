// The Kafka console views: topics, consumer groups, messages, dead letters (with redrive: a dry
// run, then a confirmation) and schema diffs, over the api's /v1/kafka and /v1/schemas routes.

import { dlqView } from "./console-dlq-view.ts";
import { groupsView, topicsView } from "./console-kafka-views.ts";
import { messagesView } from "./console-messages-view.ts";
import { schemasView } from "./console-schemas-view.ts";
import { el, statusLine, tabBar } from "./dom.ts";

type View = "topics" | "groups" | "messages" | "dlq" | "schemas";

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
  const status = statusLine("console-status");
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
  const tabs = tabBar<View>(
    "console-tabs",
    [
      ["topics", "Topics"],
      ["groups", "Consumer groups"],
      ["messages", "Messages"],
      ["dlq", "Dead letters"],
      ["schemas", "Schemas"],
    ],
    show,
  );
  root.append(
    el(
      "div",
      { class: "toolbar" },
      el("h2", {}, "Kafka"),
      tabs.nav,
      prefixInput,
      token,
      status.node,
    ),
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
  const { fail, done } = status;

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
    tabs.select(next);
    body.replaceChildren();
    body.dataset.view = next;
    const context = {
      body,
      prefix,
      call,
      fail,
      done,
      every(ms: number, load: () => Promise<void>) {
        timer = setInterval(() => load().catch(fail), ms);
      },
      follow(source: EventSource | null) {
        tail?.close();
        tail = source ?? undefined;
      },
    };
    const views = {
      topics: topicsView,
      groups: groupsView,
      messages: messagesView,
      dlq: dlqView,
      schemas: schemasView,
    };
    views[next](context).catch(fail);
  }

  show(view);
}
