// The Schemas view of the Kafka console: subjects, versions, and a diff between two versions.
import type { SchemaDiffJson, SchemasJson } from "../http/console-responses.ts";
import type { ConsoleView } from "./console-types.ts";
import { el, row, table } from "./dom.ts";

/**
 * Subjects with their versions and compatibility, and the diff of two versions.
 *
 * @example
 *   await schemasView(ctx); // draws into ctx.body
 */
export async function schemasView(ctx: ConsoleView) {
  const { body, call, fail, done } = ctx;
  const answer = await call<SchemasJson>("/v1/schemas");
  const shown = answer.subjects.filter((s) => !ctx.prefix || s.subject.startsWith(ctx.prefix));
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
