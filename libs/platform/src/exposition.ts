/**
 * A strict reader of the Prometheus text exposition format 0.0.4 (what `GET /metrics` serves), so
 * tests can prove every service's output is what a Prometheus server accepts. prom-client has no
 * parser.
 */
import { PipelineError } from "./errors.ts";

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExpositionFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: ExpositionSample[];
}

/** A line that is not valid exposition text, with its 1-based line number. */
export class ExpositionError extends PipelineError {
  override name = "ExpositionError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`, { retriable: false });
  }
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
/** Go's strconv.ParseFloat, which Prometheus uses: decimals, exponents, Inf and NaN in any case. */
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;

/**
 * Parses exposition text, refusing anything a Prometheus scrape would reject or misread: bad names,
 * label syntax or values, a TYPE after its samples or given twice, duplicate series, samples of a
 * family split apart, histograms whose buckets are not cumulative or whose `+Inf` bucket differs
 * from `_count`.
 *
 * @example
 *   const families = parseExposition(await (await fetch(`${url}/metrics`)).text());
 *   families.get("marketpipe_consumer_records_written_total")?.samples[0]?.value;
 */
export function parseExposition(text: string): Map<string, ExpositionFamily> {
  const families = new Map<string, ExpositionFamily>();
  const seriesSeen = new Set<string>();
  const typed = new Set<string>();
  let currentFamily: string | undefined;
  const lines = text.split("\n");
  if (text.length > 0 && !text.endsWith("\n"))
    throw new ExpositionError(lines.length, "the last line does not end with a line feed");

  lines.forEach((line, index) => {
    const at = index + 1;
    if (line.trim() === "") return;
    const familyOf = (name: string) => {
      let family = families.get(name);
      if (!family) {
        family = { name, type: "untyped", samples: [] };
        families.set(name, family);
      }
      return family;
    };
    if (line.startsWith("#")) {
      const help = HELP.exec(line);
      if (help) {
        const family = familyOf(help[1] as string);
        if (family.help !== undefined) throw new ExpositionError(at, `second HELP for ${help[1]}`);
        family.help = help[2] as string;
        return;
      }
      if (line.startsWith("# TYPE")) {
        const type = TYPE.exec(line);
        if (!type) throw new ExpositionError(at, `malformed TYPE line: ${line}`);
        const family = familyOf(type[1] as string);
        if (family.samples.length > 0)
          throw new ExpositionError(at, `TYPE of ${type[1]} after its samples`);
        if (typed.has(family.name)) throw new ExpositionError(at, `second TYPE for ${type[1]}`);
        typed.add(family.name);
        family.type = type[2] as ExpositionFamily["type"];
        return;
      }
      if (line.startsWith("# HELP")) throw new ExpositionError(at, `malformed HELP line: ${line}`);
      return;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new ExpositionError(at, `not a sample line: ${line}`);
    const [, name = "", labelText = "", valueText = ""] = sample;
    if (!FLOAT.test(valueText)) throw new ExpositionError(at, `not a float value: ${valueText}`);
    const labels = parseLabels(labelText, at);
    const familyName = familyNameOf(name, families);
    const family = familyOf(familyName);
    if (currentFamily !== familyName && family.samples.length > 0)
      throw new ExpositionError(at, `samples of ${familyName} are not contiguous`);
    currentFamily = familyName;
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seriesSeen.has(series)) throw new ExpositionError(at, `duplicate series ${line}`);
    seriesSeen.add(series);
    family.samples.push({ name, labels, value: Number.parseFloat(valueFor(valueText)) });
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function familyNameOf(name: string, families: Map<string, ExpositionFamily>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return name;
}

function valueFor(text: string): string {
  const lower = text.toLowerCase();
  if (lower.includes("nan")) return "NaN";
  if (lower.includes("inf")) return lower.startsWith("-") ? "-Infinity" : "Infinity";
  return text;
}

function parseLabels(text: string, at: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const pair = LABEL_PAIR.exec(rest);
    if (!pair) throw new ExpositionError(at, `malformed labels: {${text}}`);
    const [whole, name = "", value = ""] = pair;
    if (name in labels) throw new ExpositionError(at, `label ${name} given twice`);
    labels[name] = value.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

function checkHistogram(family: ExpositionFamily) {
  const bySeries = new Map<string, ExpositionSample[]>();
  for (const sample of family.samples) {
    const { le: _, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    bySeries.set(key, [...(bySeries.get(key) ?? []), sample]);
  }
  for (const samples of bySeries.values()) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    if (!count || !sum) throw new ExpositionError(0, `${family.name} lacks _sum or _count`);
    const bounds = buckets.map((b) => Number.parseFloat(valueFor(b.labels.le ?? "x")));
    if (bounds.some(Number.isNaN))
      throw new ExpositionError(0, `${family.name} has a bucket without a numeric le`);
    for (let i = 1; i < buckets.length; i++) {
      if ((bounds[i] as number) <= (bounds[i - 1] as number))
        throw new ExpositionError(0, `${family.name} buckets are not in ascending le order`);
      if ((buckets[i]?.value as number) < (buckets[i - 1]?.value as number))
        throw new ExpositionError(0, `${family.name} buckets are not cumulative`);
    }
    const last = buckets.at(-1);
    if (last?.labels.le !== "+Inf" || last.value !== count.value)
      throw new ExpositionError(0, `${family.name}: the +Inf bucket must equal _count`);
  }
}
