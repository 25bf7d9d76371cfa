// The alerts panel: analytics' firings (the last 24 h, then live from /v1/alerts/stream), the alert
// rules with a delete button each, and a form to create one. Writes send the operator token typed
// in the Kafka console's field.
import {
  type AlertRuleJson,
  type AnalyticsAlertJson,
  analyticsStatus,
  createRule,
  deleteRule,
  rules as listRules,
  recentAlerts,
} from "./analytics-api.ts";
import { el } from "./dom.ts";

/** Alerts kept in the list (newest first). */
const MAX_ALERTS = 100;
/** How often the page asks whether analytics is reachable while it is not. */
const PROBE_MS = 10_000;

const FIELDS: Record<string, [string, string, string][]> = {
  price_cross: [
    ["level", "level", "190.5"],
    ["direction", "direction (up|down)", "up"],
    ["hysteresis", "hysteresis (optional)", ""],
  ],
  percent_move: [
    ["percent", "percent", "1"],
    ["windowMinutes", "window (minutes)", "5"],
    ["direction", "direction (up|down|either)", "either"],
  ],
  rsi: [
    ["length", "RSI length", "14"],
    ["above", "above (or leave empty)", "70"],
    ["below", "below (or leave empty)", ""],
  ],
  volume: [
    ["k", "k × baseline", "3"],
    ["baselineBars", "baseline (minutes)", "20"],
  ],
};
const NUMBERS = new Set(["windowMinutes", "length", "baselineBars"]);

/**
 * Mounts the alerts panel in `root`. `onAvailability` learns whether analytics answers (the chart's
 * overlays follow it); `symbol` is the chart's symbol, the form's default.
 *
 * @example
 *   createAlerts(document.getElementById("alerts-panel")!, { symbol: () => "AAPL", onAvailability: overlays.setEnabled });
 */
export function createAlerts(
  root: HTMLElement,
  options: { symbol: () => string; onAvailability: (up: boolean) => void },
) {
  const status = el("span", { id: "alerts-status" }, "connecting…");
  const list = el("ol", { id: "alert-list" });
  const empty = el("p", { id: "alerts-empty" }, "No alert in the last 24 h.");
  const rulesBody = el("tbody");
  const kind = el("select", { id: "rule-kind", "aria-label": "Condition" });
  for (const name of Object.keys(FIELDS)) kind.append(new Option(name, name));
  const symbolInput = el("input", { id: "rule-symbol", placeholder: "symbol", size: "8" });
  const fields = el("span", { id: "rule-fields" });
  const submit = el("button", { type: "submit", id: "rule-create" }, "Create rule");
  const form = el("form", { id: "rule-form" }, symbolInput, kind, fields, submit);
  root.append(
    el("div", { class: "toolbar" }, el("h2", {}, "Alerts"), status),
    el(
      "div",
      { class: "alerts-grid" },
      el("div", {}, el("h3", {}, "Firings"), list, empty),
      el(
        "div",
        {},
        el("h3", {}, "Rules"),
        el(
          "table",
          { class: "console-table", id: "rules-table" },
          el(
            "thead",
            {},
            el("tr", {}, ...["Symbol", "Condition", "Created", ""].map((h) => el("th", {}, h))),
          ),
          rulesBody,
        ),
        form,
      ),
    ),
  );

  const say = (text: string, state: "ok" | "error" | "off") => {
    status.textContent = text;
    status.dataset.state = state;
  };
  function renderFields() {
    fields.replaceChildren(
      ...(FIELDS[kind.value] ?? []).map(([name, label, example]) =>
        el("input", { name, placeholder: label, "aria-label": label, value: example, size: "10" }),
      ),
    );
  }
  kind.addEventListener("change", renderFields);
  renderFields();

  const shown = new Set<string>();
  function addAlert(alert: AnalyticsAlertJson, live: boolean) {
    if (shown.has(alert.id)) return;
    shown.add(alert.id);
    const item = el(
      "li",
      { "data-id": alert.id, "data-rule": alert.ruleId, "data-symbol": alert.symbol },
      el("time", {}, `${alert.barStart.slice(0, 10)} ${alert.barStart.slice(11, 16)}`),
      ` ${alert.message}`,
    );
    if (live) item.classList.add("firing");
    list.prepend(item);
    while (list.children.length > MAX_ALERTS) list.lastElementChild?.remove();
    empty.hidden = true;
  }

  async function loadAlerts() {
    const { alerts } = await recentAlerts(new Date(Date.now() - 86_400_000));
    for (const alert of alerts) addAlert(alert, false);
  }

  async function loadRules() {
    const { rules } = await listRules();
    rulesBody.replaceChildren(...rules.map(ruleRow));
  }

  function ruleRow(rule: AlertRuleJson) {
    const remove = el("button", { type: "button", "data-action": "delete-rule" }, "Delete");
    remove.addEventListener("click", () => {
      deleteRule(rule.id)
        .then(() => {
          say(`rule ${rule.id.slice(0, 8)} deleted`, "ok");
          return loadRules();
        })
        .catch((error: Error) => say(`error: ${error.message}`, "error"));
    });
    const { kind: what, ...rest } = rule.condition as { kind: string };
    return el(
      "tr",
      { "data-rule": rule.id },
      el("td", {}, rule.symbol),
      el("td", {}, `${what} ${JSON.stringify(rest)}`),
      el("td", {}, rule.createdAt.slice(11, 19)),
      el("td", {}, remove),
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const condition: Record<string, unknown> = { kind: kind.value };
    for (const input of fields.querySelectorAll("input")) {
      if (input.value.trim() === "") continue;
      condition[input.name] = NUMBERS.has(input.name) ? Number(input.value) : input.value.trim();
    }
    const symbol = (symbolInput.value.trim() || options.symbol()).toUpperCase();
    createRule({ symbol, condition })
      .then((rule) => {
        say(`rule ${rule.id.slice(0, 8)} created for ${rule.symbol}`, "ok");
        return loadRules();
      })
      .catch((error: Error) => say(`error: ${error.message}`, "error"));
  });

  let source: EventSource | undefined;
  function connect() {
    source = new EventSource("/v1/alerts/stream");
    source.addEventListener("ready", () => {
      say("live", "ok");
      options.onAvailability(true);
      Promise.all([loadAlerts(), loadRules()]).catch((error: Error) =>
        say(`error: ${error.message}`, "error"),
      );
    });
    source.addEventListener("alert", (event) =>
      addAlert(JSON.parse((event as MessageEvent<string>).data) as AnalyticsAlertJson, true),
    );
    source.addEventListener("analytics", (event) => {
      const { state } = JSON.parse((event as MessageEvent<string>).data) as { state: string };
      options.onAvailability(state === "up");
      if (state === "up") {
        say("live", "ok");
        loadAlerts().catch(() => {});
      } else say("analytics unavailable; reconnecting…", "error");
    });
    // The api refused or ended the stream; the EventSource comes back after its `retry:`.
    for (const name of ["unavailable", "busy", "dropped", "shutdown"])
      source.addEventListener(name, () => {
        say(
          name === "unavailable" ? "analytics unavailable; retrying…" : `${name}; retrying…`,
          "error",
        );
        options.onAvailability(false);
      });
  }

  /** Opens the stream once analytics answers, so a page without analytics makes no failing request. */
  async function probe() {
    const answer = await analyticsStatus().catch(() => ({ analytics: "down" as const }));
    if (answer.analytics === "up") return connect();
    say("analytics unavailable", "off");
    options.onAvailability(false);
    setTimeout(() => void probe(), PROBE_MS);
  }
  void probe();
  return { close: () => source?.close() };
}
