// Operations, Alerts: what Prometheus has firing (or why it cannot be read).
import type { AlertsJson } from "../http/ops-responses.ts";
import { el, row, table } from "./dom.ts";
import { callApi } from "./operator-call.ts";
import { stamp } from "./ops-format.ts";
import type { OpsView } from "./ops-types.ts";

/** Draws the alerts view in `body`. */
export async function alertsView({ body }: OpsView) {
  let answer: AlertsJson;
  try {
    answer = await callApi<AlertsJson>("/v1/alerts/firing");
  } catch (error) {
    body.replaceChildren(
      el(
        "p",
        { id: "alerts-state", "data-state": "unavailable" },
        `Prometheus: ${(error as Error).message}`,
      ),
    );
    return;
  }
  body.replaceChildren(
    el(
      "p",
      { id: "alerts-state", "data-state": "ok", "data-firing": String(answer.alerts.length) },
      answer.alerts.length ? `${answer.alerts.length} firing` : "No alert firing",
      answer.pending ? ` · ${answer.pending} pending` : "",
    ),
    table(
      ["alert", "severity", "since", "summary", "labels"],
      answer.alerts.map((a) =>
        row(
          [
            a.name,
            a.severity ?? "",
            stamp(a.activeAt),
            a.summary ?? a.description ?? "",
            Object.entries(a.labels)
              .filter(([k]) => k !== "alertname" && k !== "severity")
              .map(([k, v]) => `${k}=${v}`)
              .join(" "),
          ],
          { "data-alert": a.name },
        ),
      ),
      { id: "alerts-table" },
    ),
  );
}
