// DOM helpers of the Kafka console views.

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
