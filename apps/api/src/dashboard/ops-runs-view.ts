// Operations, Runs: each provider's schedule, the calendar ahead, the grid of its latest runs and
// the list of recent runs.
import type { ProviderJson, ProvidersJson, RunJson, RunsJson } from "../http/ops-responses.ts";
import { el, row, table } from "./dom.ts";
import { callApi } from "./operator-call.ts";
import { clock, num, reasons, stamp } from "./ops-format.ts";
import type { OpsView } from "./ops-types.ts";

/** Draws the runs view in `body`. */
export async function runsView({ body }: OpsView) {
  const [providers, listed] = await Promise.all([
    callApi<ProvidersJson>("/v1/providers"),
    callApi<RunsJson>("/v1/runs?limit=300"),
  ]);
  const byProvider = new Map<string, RunJson[]>();
  for (const r of listed.runs)
    byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
  const names = [...new Set([...providers.providers.map((p) => p.name), ...byProvider.keys()])];
  const grid = el("div", { id: "runs-grid" });
  for (const name of names) {
    const provider = providers.providers.find((p) => p.name === name);
    const cells = (byProvider.get(name) ?? []).slice(0, 60).reverse();
    const squares = cells.map((r) =>
      el("span", {
        class: "run-cell",
        "data-outcome": r.outcome,
        "data-kind": r.kind,
        "data-trigger": r.trigger,
        "data-run": r.id,
        title: `${r.kind} (${r.trigger}) ${stamp(r.startedAt)} → ${clock(r.endedAt)}: ${r.outcome}, fetched ${r.fetched}, forwarded ${r.forwarded}, refused ${reasons(r.refused)}${r.error ? `, ${r.error}` : ""}`,
      }),
    );
    grid.append(
      el(
        "div",
        { class: "runs-row", "data-provider": name },
        el("div", { class: "runs-provider" }, scheduleOf(name, provider)),
        el("div", { class: "runs-cells" }, ...squares),
      ),
    );
  }
  const recent = listed.runs
    .slice(0, 40)
    .map((r) =>
      row(
        [
          r.provider,
          `${r.kind}${r.trigger === "manual" ? " (manual)" : ""}`,
          stamp(r.startedAt),
          clock(r.endedAt),
          el("span", { class: "outcome", "data-outcome": r.outcome }, r.outcome),
          num(r.fetched),
          reasons(r.refused),
          num(r.forwarded),
          num(r.dropped),
          num(r.pending),
          r.error ?? "",
        ],
        { "data-run": r.id, "data-outcome": r.outcome },
      ),
    );
  const cal = providers.calendar;
  const calendar = el(
    "div",
    { id: "calendar" },
    el("strong", {}, cal.open ? "NYSE open now" : "NYSE closed now"),
    el(
      "span",
      {},
      ` · next sessions: ${cal.sessions
        .slice(0, 5)
        .map(
          (s) =>
            `${s.date} ${clock(s.open)}–${clock(s.close)} UTC${s.earlyClose ? " (early close)" : ""}`,
        )
        .join(", ")}`,
    ),
    el(
      "span",
      {},
      ` · holidays ahead: ${cal.holidays.map((h) => String((h as { date?: string; name?: string }).date ?? "") + ((h as { name?: string }).name ? ` ${(h as { name?: string }).name}` : "")).join(", ") || "none"}`,
    ),
    el(
      "span",
      {},
      ` · early closes ahead: ${cal.earlyCloses.map((h) => String((h as { date?: string }).date ?? "")).join(", ") || "none"}`,
    ),
  );
  body.replaceChildren(
    calendar,
    grid,
    el(
      "p",
      { class: "legend" },
      "ok · failed · cancelled · interrupted · running; newest right; hover a square for its counts",
    ),
    table(
      [
        "provider",
        "kind",
        "started (UTC)",
        "ended",
        "outcome",
        "fetched",
        "refused",
        "forwarded",
        "dropped",
        "pending",
        "error",
      ],
      recent,
      { id: "runs-table" },
    ),
    listed.storeError ? el("p", { class: "refused" }, `run store: ${listed.storeError}`) : "",
  );
}

function scheduleOf(name: string, provider: ProviderJson | undefined) {
  const parts: (Node | string)[] = [el("strong", {}, name)];
  if (!provider) return el("span", {}, ...parts, " (backfills)");
  parts.push(` ${provider.mode}`);
  if (provider.paused) parts.push(el("span", { class: "refused" }, " paused"));
  const s = provider.schedule;
  if (s)
    parts.push(
      el(
        "span",
        { class: "schedule", "data-cron": s.cron },
        ` · ${s.cron} (${s.timezone})${s.regularHoursOnly ? " regular hours" : ""} · next ${s.nextRuns
          .slice(0, 3)
          .map(clock)
          .join(", ")}`,
      ),
    );
  else if (provider.state) parts.push(` · ${provider.state}`);
  return el("span", {}, ...parts);
}
