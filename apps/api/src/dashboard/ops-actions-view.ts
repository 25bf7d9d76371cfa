// Operations, Actions: run now and pause/resume per provider; backfills planned by a dry run, then
// confirmed, with their progress and a cancel button.
import type { BackfillJson, BackfillPlanJson, ProvidersJson } from "../http/ops-responses.ts";
import { el, row, table } from "./dom.ts";
import { callApi } from "./operator-call.ts";
import { num } from "./ops-format.ts";
import type { OpsView } from "./ops-types.ts";

/**
 * The actions view: a function that draws it in `body`. The backfill form (and its planned dry run)
 * is made once and kept across refreshes and tab switches.
 */
export function createActionsView({ body, fail, done, shows }: OpsView) {
  let form: HTMLFormElement | undefined;
  let plan: { key: string; plan: BackfillPlanJson } | undefined;
  async function actions() {
    const [providers, backfills] = await Promise.all([
      callApi<ProvidersJson>("/v1/providers"),
      callApi<{ backfills: BackfillJson[] }>("/v1/backfills"),
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
      await callApi(path, { method });
      done(text);
      if (shows("actions")) await actions();
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
      callApi<{ plan: BackfillPlanJson }>("/v1/backfills", {
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
      callApi<{ backfill: BackfillJson }>("/v1/backfills", {
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
  return actions;
}
