// Operations, Streaming job: the consumer's last hour as five small SVG line charts.
import type { JobPointJson, StreamingJobJson } from "../http/ops-responses.ts";
import { el } from "./dom.ts";
import { callApi } from "./operator-call.ts";
import { clock, num } from "./ops-format.ts";
import type { OpsView } from "./ops-types.ts";

/** Draws the streaming job view in `body`. */
export async function jobView({ body }: OpsView) {
  const answer = await callApi<StreamingJobJson>("/v1/streaming-job");
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
