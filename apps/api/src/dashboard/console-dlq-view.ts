// The Dead letters view of the Kafka console: filter, select, dry run, then redrive.
import type { DeadLettersJson, RedriveJson } from "../http/console-responses.ts";
import type { ConsoleView } from "./console-types.ts";
import { el, row, table } from "./dom.ts";

/**
 * Dead letters by reason; selected ones redriven after a dry run shows what would be sent.
 *
 * @example
 *   await dlqView(ctx); // draws into ctx.body
 */
export async function dlqView(ctx: ConsoleView) {
  const { body, call, fail, done } = ctx;
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
    [...results.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")].map((box) => ({
      partition: Number(box.dataset.partition),
      offset: Number(box.dataset.offset),
    }));
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
