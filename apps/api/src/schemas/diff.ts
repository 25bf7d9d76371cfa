/**
 * A field-level diff of two Avro schemas, for people: which fields of which record were added,
 * removed, or changed type, default or doc, and which enum symbols changed. Paths name fields from
 * the top record (`quote.bid`); a field whose type is a record or an array/map/union of one is
 * followed into it.
 */

export type SchemaChange =
  | { path: string; change: "added"; type: string; default?: unknown }
  | { path: string; change: "removed"; type: string }
  | { path: string; change: "type_changed"; from: string; to: string }
  | { path: string; change: "default_changed"; from?: unknown; to?: unknown }
  | { path: string; change: "doc_changed"; from?: string; to?: string }
  | { path: string; change: "symbols_changed"; added: string[]; removed: string[] }
  | { path: string; change: "renamed"; from: string; to: string };

type Avro = string | Avro[] | { [key: string]: unknown };

interface Field {
  name: string;
  type: Avro;
  default?: unknown;
  doc?: string;
}

const NO_DEFAULT = Symbol("none");

/**
 * Changes from schema `a` to schema `b` (both parsed JSON of an Avro schema).
 *
 * @example
 *   diffAvro({ type: "record", name: "T", fields: [{ name: "x", type: "int" }] },
 *            { type: "record", name: "T", fields: [{ name: "x", type: "long" }, { name: "y", type: ["null", "string"], default: null }] });
 *   // [{ path: "x", change: "type_changed", from: "int", to: "long" },
 *   //  { path: "y", change: "added", type: "null | string", default: null }]
 */
export function diffAvro(a: unknown, b: unknown): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const named = { a: new Map<string, Avro>(), b: new Map<string, Avro>() };
  collectNames(a as Avro, named.a, "");
  collectNames(b as Avro, named.b, "");
  compare(a as Avro, b as Avro, "", changes, named, new Set());
  return changes;
}

function compare(
  a: Avro,
  b: Avro,
  path: string,
  changes: SchemaChange[],
  named: { a: Map<string, Avro>; b: Map<string, Avro> },
  seen: Set<string>,
) {
  const ra = resolve(a, named.a);
  const rb = resolve(b, named.b);
  const here = path || "(record)";
  if (isRecord(ra) && isRecord(rb)) {
    const key = `${path}|${String(ra.name)}|${String(rb.name)}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (ra.name !== rb.name)
      changes.push({ path: here, change: "renamed", from: String(ra.name), to: String(rb.name) });
    const fa = new Map((ra.fields as Field[]).map((f) => [f.name, f]));
    const fb = new Map((rb.fields as Field[]).map((f) => [f.name, f]));
    for (const [name, field] of fa) {
      const at = path ? `${path}.${name}` : name;
      const other = fb.get(name);
      if (!other) {
        changes.push({ path: at, change: "removed", type: render(field.type) });
        continue;
      }
      if (render(field.type) !== render(other.type))
        changes.push({
          path: at,
          change: "type_changed",
          from: render(field.type),
          to: render(other.type),
        });
      const da = "default" in field ? field.default : NO_DEFAULT;
      const db = "default" in other ? other.default : NO_DEFAULT;
      if (JSON.stringify(da) !== JSON.stringify(db) || (da === NO_DEFAULT) !== (db === NO_DEFAULT))
        changes.push({
          path: at,
          change: "default_changed",
          ...(da === NO_DEFAULT ? {} : { from: da }),
          ...(db === NO_DEFAULT ? {} : { to: db }),
        });
      if ((field.doc ?? "") !== (other.doc ?? ""))
        changes.push({ path: at, change: "doc_changed", from: field.doc, to: other.doc });
      const inner = [innerRecord(field.type, named.a), innerRecord(other.type, named.b)];
      if (inner[0] && inner[1]) compare(inner[0], inner[1], at, changes, named, seen);
      const enums = [resolve(field.type, named.a), resolve(other.type, named.b)];
      if (isEnum(enums[0]) && isEnum(enums[1]))
        compare(enums[0] as Avro, enums[1] as Avro, at, changes, named, seen);
    }
    for (const [name, field] of fb)
      if (!fa.has(name))
        changes.push({
          path: path ? `${path}.${name}` : name,
          change: "added",
          type: render(field.type),
          ...("default" in field ? { default: field.default } : {}),
        });
    return;
  }
  if (isEnum(ra) && isEnum(rb)) {
    const sa = ra.symbols as string[];
    const sb = rb.symbols as string[];
    const added = sb.filter((s) => !sa.includes(s));
    const removed = sa.filter((s) => !sb.includes(s));
    if (added.length + removed.length > 0)
      changes.push({ path: here, change: "symbols_changed", added, removed });
    return;
  }
  if (render(a) !== render(b))
    changes.push({ path: here, change: "type_changed", from: render(a), to: render(b) });
}

const isObject = (t: unknown): t is Record<string, unknown> =>
  typeof t === "object" && t !== null && !Array.isArray(t);
const isRecord = (t: unknown): t is Record<string, unknown> & { fields: Field[] } =>
  isObject(t) && (t.type === "record" || t.type === "error") && Array.isArray(t.fields);
const isEnum = (t: unknown): t is Record<string, unknown> & { symbols: string[] } =>
  isObject(t) && t.type === "enum" && Array.isArray(t.symbols);

/** A named type's definition when `t` refers to it by name. */
function resolve(t: Avro, names: Map<string, Avro>): Avro {
  if (typeof t === "string") return names.get(t) ?? names.get(t.split(".").pop() ?? t) ?? t;
  return t;
}

/** The record a field's type leads to directly or through one array, map or nullable union. */
function innerRecord(t: Avro, names: Map<string, Avro>): Avro | undefined {
  const r = resolve(t, names);
  if (isRecord(r)) return r;
  if (Array.isArray(r)) {
    const records = r.map((x) => resolve(x, names)).filter(isRecord);
    return records.length === 1 ? records[0] : undefined;
  }
  if (isObject(r) && r.type === "array") return innerRecord(r.items as Avro, names);
  if (isObject(r) && r.type === "map") return innerRecord(r.values as Avro, names);
  return undefined;
}

function collectNames(t: Avro, names: Map<string, Avro>, namespace: string) {
  if (Array.isArray(t)) {
    for (const x of t) collectNames(x, names, namespace);
    return;
  }
  if (!isObject(t)) return;
  const ns = typeof t.namespace === "string" ? t.namespace : namespace;
  if (typeof t.name === "string" && (isRecord(t) || isEnum(t) || t.type === "fixed")) {
    const full = t.name.includes(".") || !ns ? t.name : `${ns}.${t.name}`;
    names.set(full, t);
    names.set(t.name.split(".").pop() as string, t);
  }
  if (isRecord(t)) for (const f of t.fields as Field[]) collectNames(f.type, names, ns);
  if (t.type === "array") collectNames(t.items as Avro, names, ns);
  if (t.type === "map") collectNames(t.values as Avro, names, ns);
}

/**
 * A type as a short readable text: `long (timestamp-micros)`, `null | string`,
 * `array<Quote>`, `decimal(18,6)`; records and enums by name.
 */
export function render(t: Avro): string {
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.map(render).join(" | ");
  if (!isObject(t)) return String(t);
  if (t.logicalType === "decimal") return `decimal(${t.precision},${t.scale ?? 0})`;
  if (typeof t.logicalType === "string") return `${render(t.type as Avro)} (${t.logicalType})`;
  if (isRecord(t) || isEnum(t) || t.type === "fixed") return String(t.name);
  if (t.type === "array") return `array<${render(t.items as Avro)}>`;
  if (t.type === "map") return `map<${render(t.values as Avro)}>`;
  return render(t.type as Avro);
}
