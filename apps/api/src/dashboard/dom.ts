// The dashboard's DOM helpers, shared by its panels (Kafka console, operations, alerts).

/**
 * An element with attributes and children.
 *
 * @example
 *   el("p", { class: "note" }, "no records");
 */
export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
};

/** A table row of cells. */
export const row = (cells: (Node | string)[], attributes: Record<string, string> = {}) =>
  el("tr", attributes, ...cells.map((cell) => el("td", {}, cell)));

/** A console table with a header row. */
export const table = (
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

/** A retention in days (or hours). */
export const duration = (ms: number | null) =>
  ms === null
    ? "—"
    : ms % 86_400_000 === 0
      ? `${ms / 86_400_000} d`
      : `${Math.round(ms / 3_600_000)} h`;

/**
 * A panel's tab bar: one button per view (`data-view`); a click calls `onPick` with its view, and
 * `select` marks the view shown (`aria-pressed`).
 *
 * @example
 *   const tabs = tabBar("ops-tabs", [["runs", "Runs"], ["job", "Streaming job"]], show);
 *   tabs.select("runs");
 */
export function tabBar<V extends string>(
  id: string,
  views: readonly (readonly [V, string])[],
  onPick: (view: V) => void,
) {
  const nav = el("nav", { id });
  for (const [name, label] of views) {
    const button = el("button", { type: "button", "data-view": name }, label);
    button.addEventListener("click", () => onPick(name));
    nav.append(button);
  }
  const select = (view: V) => {
    for (const button of nav.querySelectorAll("button"))
      button.setAttribute("aria-pressed", String(button.dataset.view === view));
  };
  return { nav, select };
}

/**
 * A panel's status line: `fail` shows an error (`data-state="error"`), `done` a success
 * (`data-state="ok"`). Both are plain functions, fit for `.catch(status.fail)`.
 *
 * @example
 *   const status = statusLine("ops-status");
 *   load().then(() => status.done("loaded")).catch(status.fail);
 */
export function statusLine(id: string) {
  const node = el("span", { id });
  const fail = (error: unknown) => {
    node.textContent = `error: ${(error as Error).message}`;
    node.dataset.state = "error";
  };
  const done = (text: string) => {
    node.textContent = text;
    node.dataset.state = "ok";
  };
  return { node, fail, done };
}
