// The operations views (the Airflow and Spark UIs, rebuilt): ingest's schedules and runs grid,
// streams, operator actions with backfills, the streaming job's last hour, and firing alerts, over
// the api's /v1/runs, /v1/providers, /v1/streams, /v1/backfills, /v1/streaming-job, /v1/alerts.
import type {
  AlertsJson,
  BackfillJson,
  BackfillPlanJson,
  JobPointJson,
  ProviderJson,
  ProvidersJson,
  RunJson,
  RunsJson,
  StreamingJobJson,
  StreamsJson,
} from "../http/ops-responses.ts";

type View = "runs" | "streams" | "actions" | "job" | "alerts";
type Attrs = Record<string, string>;

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attrs = {},
  ...children: (Node | string)[]
) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};
const table = (headers: string[], rows: HTMLTableRowElement[], attributes: Attrs = {}) =>
  el(
    "table",
    { class: "console-table", ...attributes },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
const row = (cells: (Node | string)[], attributes: Attrs = {}) =>
  el("tr", attributes, ...cells.map((cell) => el("td", {}, cell)));

const num = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined
    ? "—"
    : Number.isInteger(n)
      ? n.toLocaleString("en-US")
      : n.toFixed(digits);
const clock = (iso: string | null | undefined) => (iso ? iso.slice(11, 19) : "—");
const stamp = (iso: string | null | undefined) =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : "—";
const age = (ms: number | null | undefined) =>
  ms === null || ms === undefined
    ? "—"
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : `${(ms / 1000).toFixed(1)} s`;
const reasons = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ") || "0";

/**
 * Mounts the operations panel in `root`: a tab per view (`?ops=` in the URL), refreshed every
 * 2 s (the streaming job and alerts every 5 s). Actions send the operator token typed in the
 * Kafka console's field (the same session token).
 */
export function createOps(root: HTMLElement) {
  const params = new URLSearchParams(location.search);
  let view: View = (params.get("ops") as View) || "runs";
  let timer: ReturnType<typeof setInterval> | undefined;
  let plan: { key: string; plan: BackfillPlanJson } | undefined;
  const body = el("div", { id: "ops-view" });
  const status = el("span", { id: "ops-status" });
  const tabs = el("nav", { id: "ops-tabs" });
  for (const [name, label] of [
    ["runs", "Runs"],
    ["streams", "Streams"],
    ["actions", "Actions"],
    ["job", "Streaming job"],
    ["alerts", "Alerts"],
  ] as const) {
    const button = el("button", { type: "button", "data-view": name }, label);
    button.addEventListener("click", () => show(name));
    tabs.append(button);
  }
  root.append(el("div", { class: "toolbar" }, el("h2", {}, "Operations"), tabs, status), body);

  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (init.method && init.method !== "GET") headers["content-type"] = "application/json";
    const token =
      (document.getElementById("operator-token") as HTMLInputElement | null)?.value ||
      sessionStorage.getItem("operatorToken");
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(path, { ...init, headers });
    const answer = (await response.json()) as T & { error?: { code: string; message: string } };
    if (!response.ok)
      throw new Error(
        answer.error ? `${answer.error.code}: ${answer.error.message}` : `${response.status}`,
      );
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

  function show(next: View) {
    view = next;
    const url = new URLSearchParams(location.search);
    url.set("ops", view);
    history.replaceState(null, "", `?${url}`);
    for (const button of tabs.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.view === next));
    if (timer) clearInterval(timer);
    body.replaceChildren();
    body.dataset.view = next;
    const render = { runs, streams, actions, job, alerts }[next];
    const refresh = () =>
      render()
        .then(() => {
          if (status.dataset.state === "error" && view === next) done("");
        })
        .catch(fail);
    void refresh();
    timer = setInterval(refresh, next === "job" || next === "alerts" ? 5_000 : 2_000);
  }

  // ---- Runs: each provider's schedule, the calendar ahead, the grid and the list of recent runs.
  async function runs() {
    const [providers, listed] = await Promise.all([
      call<ProvidersJson>("/v1/providers"),
      call<RunsJson>("/v1/runs?limit=300"),
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

  // ---- Streams: one block per streaming provider.
  async function streams() {
    const answer = await call<StreamsJson>("/v1/streams");
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

  // ---- Actions: run now, pause/resume, backfills (dry run, then confirm), progress, cancel.
  let form: HTMLFormElement | undefined;
  async function actions() {
    const [providers, backfills] = await Promise.all([
      call<ProvidersJson>("/v1/providers"),
      call<{ backfills: BackfillJson[] }>("/v1/backfills"),
    ]);
    const buttons = providers.providers.map((p) => {
      const run = el(
        "button",
        { type: "button", "data-action": "run", "data-provider": p.name },
        "Run now",
      );
      run.addEventListener("click", () =>
        act(`/v1/providers/${p.name}/run`, "POST", `${p.name}: run started`),
      );
      if (p.mode !== "poll" || p.paused) run.setAttribute("disabled", "");
      const toggle = el(
        "button",
        { type: "button", "data-action": p.paused ? "resume" : "pause", "data-provider": p.name },
        p.paused ? "Resume" : "Pause",
      );
      toggle.addEventListener("click", () =>
        act(
          `/v1/providers/${p.name}/${p.paused ? "resume" : "pause"}`,
          "POST",
          `${p.name} ${p.paused ? "resumed" : "paused"}`,
        ),
      );
      return row(
        [
          el("strong", {}, p.name),
          p.mode,
          p.paused ? `paused by ${p.pausedBy ?? "?"}` : "active",
          el("span", {}, run, " ", toggle),
        ],
        {
          "data-provider": p.name,
        },
      );
    });
    form ??= backfillForm();
    const jobs = backfills.backfills.slice(0, 20).map((b) => {
      const cancel = el(
        "button",
        { type: "button", "data-action": "cancel", "data-backfill": b.id },
        "Cancel",
      );
      cancel.addEventListener("click", () =>
        act(`/v1/backfills/${b.id}`, "DELETE", `backfill ${b.id} cancelled`),
      );
      if (b.status !== "queued" && b.status !== "running") cancel.setAttribute("disabled", "");
      const p = b.progress;
      const bar = el("progress", { max: String(Math.max(1, p.units)), value: String(p.unitsDone) });
      const request = b as unknown as { symbols?: string[]; from?: string; to?: string };
      return row(
        [
          b.id,
          `${(request.symbols ?? []).join(",")} ${request.from ?? ""}→${request.to ?? ""}`,
          el("span", { class: "outcome", "data-outcome": b.status }, b.status),
          el("span", {}, bar, ` ${p.unitsDone}/${p.units} units, ${p.pages} pages`),
          num(p.fetched),
          num(p.forwarded),
          num(p.refused),
          cancel,
        ],
        { "data-backfill": b.id, "data-status": b.status },
      );
    });
    body.replaceChildren(
      table(["provider", "mode", "state", "actions"], buttons, { id: "provider-actions" }),
      el("h3", {}, "Backfill"),
      form,
      table(["id", "request", "status", "progress", "fetched", "forwarded", "refused", ""], jobs, {
        id: "backfills-table",
      }),
    );
  }

  async function act(path: string, method: string, text: string) {
    try {
      await call(path, { method });
      done(text);
      if (view === "actions") await actions();
    } catch (error) {
      fail(error);
    }
  }

  function backfillForm() {
    const symbols = el("input", {
      name: "symbols",
      placeholder: "symbols, e.g. AAPL,MSFT",
      required: "",
    }) as HTMLInputElement;
    const from = el("input", { name: "from", type: "date", required: "" }) as HTMLInputElement;
    const to = el("input", { name: "to", type: "date", required: "" }) as HTMLInputElement;
    const kinds = el(
      "select",
      { name: "kinds" },
      el("option", { value: "trades,quotes" }, "trades and quotes"),
      el("option", { value: "trades" }, "trades"),
      el("option", { value: "quotes" }, "quotes"),
    ) as HTMLSelectElement;
    const dry = el("button", { type: "submit", "data-action": "dry-run" }, "Dry run");
    const confirm = el(
      "button",
      { type: "button", "data-action": "start", disabled: "" },
      "Start backfill",
    );
    const planned = el("p", { id: "backfill-plan" });
    const request = () => ({
      provider: "alpaca",
      symbols: symbols.value.split(/[\s,]+/).filter(Boolean),
      from: from.value,
      to: to.value,
      kinds: kinds.value.split(","),
    });
    const key = () => JSON.stringify(request());
    for (const input of [symbols, from, to, kinds])
      input.addEventListener("input", () => {
        confirm.setAttribute("disabled", "");
        planned.textContent = "";
      });
    const node = el(
      "form",
      { id: "backfill-form", class: "form" },
      symbols,
      from,
      to,
      kinds,
      dry,
      confirm,
      planned,
    ) as HTMLFormElement;
    node.addEventListener("submit", (event) => {
      event.preventDefault();
      call<{ plan: BackfillPlanJson }>("/v1/backfills", {
        method: "POST",
        body: JSON.stringify({ ...request(), dryRun: true }),
      })
        .then(({ plan: p }) => {
          plan = { key: key(), plan: p };
          planned.dataset.sessions = String(p.sessions);
          planned.dataset.requests = String(p.requests.min);
          planned.textContent = `${p.sessions} sessions (${p.closedDays} closed days), ${p.units} units, ${p.requests.min}–${p.requests.estimate} requests at ${p.ratePerMinute}/min: ${p.seconds.min}–${p.seconds.estimate} s. Confirm with "Start backfill".`;
          confirm.removeAttribute("disabled");
          done("dry run planned");
        })
        .catch(fail);
    });
    confirm.addEventListener("click", () => {
      if (!plan || plan.key !== key()) return;
      call<{ backfill: BackfillJson }>("/v1/backfills", {
        method: "POST",
        body: JSON.stringify({ ...request(), dryRun: false }),
      })
        .then(({ backfill }) => {
          done(`backfill ${backfill.id} queued`);
          confirm.setAttribute("disabled", "");
          plan = undefined;
          return actions();
        })
        .catch(fail);
    });
    return node;
  }

  // ---- Streaming job: the consumer's last hour as charts.
  async function job() {
    const answer = await call<StreamingJobJson>("/v1/streaming-job");
    const points = answer.points;
    const charts: [string, string, [string, (p: JobPointJson) => number | null][]][] = [
      [
        "records",
        "records/s",
        [
          ["in", (p) => p.recordsInPerSecond],
          ["written", (p) => p.writtenPerSecond],
        ],
      ],
      [
        "batches",
        "batch duration (ms)",
        [
          ["p50", (p) => p.batchP50Ms],
          ["p99", (p) => p.batchP99Ms],
        ],
      ],
      ["lag", "lag (records)", [["lag", (p) => p.lag]]],
      ["dead-letters", "dead letters/s", [["dead letters", (p) => p.deadLettersPerSecond]]],
      [
        "end-to-end",
        "end-to-end, steady state (ms)",
        [
          ["p50", (p) => (p.steady ? p.endToEndP50Ms : null)],
          ["p99", (p) => (p.steady ? p.endToEndP99Ms : null)],
        ],
      ],
    ];
    const last = points.at(-1);
    body.replaceChildren(
      el(
        "p",
        {
          id: "job-summary",
          "data-points": String(points.length),
          "data-consumer": answer.consumer,
        },
        `consumer ${answer.consumer} · ${points.length} readings every ${answer.sampleMs / 1000} s (kept for 1 h; the api's memory, so an api restart starts again) · latest: ${num(last?.writtenPerSecond)} written/s, lag ${num(last?.lag)}`,
      ),
      el(
        "div",
        { id: "job-charts" },
        ...charts.map(([id, title, series]) => lineChart(id, title, points, series)),
      ),
      el(
        "p",
        { id: "job-window", class: "legend" },
        answer.window,
        ". Points with a backlog are left out of the end-to-end chart.",
      ),
    );
  }

  // ---- Alerts: what Prometheus has firing.
  async function alerts() {
    let answer: AlertsJson;
    try {
      answer = await call<AlertsJson>("/v1/alerts/firing");
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

  show(view);
}

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#4fc3f7", "#ffb74d", "#81c784"];

/** A small SVG line chart of `series` over the points' times, with its range and latest values. */
function lineChart(
  id: string,
  title: string,
  points: JobPointJson[],
  series: [string, (p: JobPointJson) => number | null][],
) {
  const width = 420;
  const height = 120;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "job-chart");
  const times = points.map((p) => Date.parse(p.at));
  const values = series.flatMap(([, pick]) =>
    points.map(pick).filter((v): v is number => v !== null),
  );
  const max = Math.max(1e-9, ...values);
  const t0 = times[0] ?? 0;
  const span = Math.max(1, (times.at(-1) ?? 0) - t0);
  const legend: string[] = [];
  series.forEach(([name, pick], i) => {
    let path = "";
    let pen = false;
    points.forEach((p, k) => {
      const v = pick(p);
      if (v === null) {
        pen = false;
        return;
      }
      const x = (((times[k] ?? 0) - t0) / span) * (width - 4) + 2;
      const y = height - 4 - (v / max) * (height - 8);
      path += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
      pen = true;
    });
    const line = document.createElementNS(SVG, "path");
    line.setAttribute("d", path);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", COLOURS[i] ?? "#ccc");
    line.setAttribute("stroke-width", "1.5");
    line.dataset.series = name;
    svg.append(line);
    const latest = [...points]
      .reverse()
      .map(pick)
      .find((v) => v !== null);
    legend.push(`${name} ${latest === undefined ? "—" : num(latest)}`);
  });
  const from = points[0]?.at;
  const to = points.at(-1)?.at;
  return el(
    "figure",
    {
      class: "job-figure",
      "data-chart": id,
      "data-max": String(values.length ? max : 0),
      "data-values": String(values.length),
    },
    el("figcaption", {}, `${title}: ${legend.join(" · ")} (max ${values.length ? num(max) : "—"})`),
    svg,
    el("small", {}, from ? `${clock(from)}–${clock(to)} UTC` : "no reading yet"),
  );
}
