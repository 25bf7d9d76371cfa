// The operations views (the Airflow and Spark UIs, rebuilt): ingest's schedules and runs grid,
// streams, operator actions with backfills, the streaming job's last hour, and firing alerts, over
// the api's /v1/runs, /v1/providers, /v1/streams, /v1/backfills, /v1/streaming-job, /v1/alerts.
import { el, statusLine, tabBar } from "./dom.ts";
import { createActionsView } from "./ops-actions-view.ts";
import { alertsView } from "./ops-alerts-view.ts";
import { jobView } from "./ops-job-view.ts";
import { runsView } from "./ops-runs-view.ts";
import { streamsView } from "./ops-streams-view.ts";
import type { OpsView } from "./ops-types.ts";

type View = "runs" | "streams" | "actions" | "job" | "alerts";

/**
 * Mounts the operations panel in `root`: a tab per view (`?ops=` in the URL), refreshed every
 * 2 s (the streaming job and alerts every 5 s). Actions send the operator token typed in the
 * Kafka console's field (the same session token).
 *
 * @example
 *   createOps(document.getElementById("ops-panel")!);
 */
export function createOps(root: HTMLElement) {
  const params = new URLSearchParams(location.search);
  let view: View = (params.get("ops") as View) || "runs";
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = el("div", { id: "ops-view" });
  const status = statusLine("ops-status");
  const { fail, done } = status;
  const tabs = tabBar<View>(
    "ops-tabs",
    [
      ["runs", "Runs"],
      ["streams", "Streams"],
      ["actions", "Actions"],
      ["job", "Streaming job"],
      ["alerts", "Alerts"],
    ],
    show,
  );
  root.append(
    el("div", { class: "toolbar" }, el("h2", {}, "Operations"), tabs.nav, status.node),
    body,
  );

  const ctx: OpsView = { body, fail, done, shows: (name) => view === name };
  const views: Record<View, () => Promise<void>> = {
    runs: () => runsView(ctx),
    streams: () => streamsView(ctx),
    actions: createActionsView(ctx),
    job: () => jobView(ctx),
    alerts: () => alertsView(ctx),
  };

  function show(next: View) {
    view = next;
    const url = new URLSearchParams(location.search);
    url.set("ops", view);
    history.replaceState(null, "", `?${url}`);
    tabs.select(next);
    if (timer) clearInterval(timer);
    body.replaceChildren();
    body.dataset.view = next;
    const render = views[next];
    const refresh = () =>
      render()
        .then(() => {
          if (status.node.dataset.state === "error" && view === next) done("");
        })
        .catch(fail);
    void refresh();
    timer = setInterval(refresh, next === "job" || next === "alerts" ? 5_000 : 2_000);
  }

  show(view);
}
