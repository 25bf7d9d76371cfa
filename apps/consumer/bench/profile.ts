/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time by function and by where
 * the code lives (our packages, each dependency, Node internals, GC, idle), so a benchmark can print
 * what its time went to.
 *
 *   bun apps/consumer/bench/profile.ts /tmp/profiles/CPU.*.cpuprofile
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a dependency's name, one of our files, or a V8/Node category. */
function placeOf(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "(gc)";
  if (functionName === "(idle)" || functionName === "(program)") return functionName;
  if (!url) return "(native)";
  if (url.startsWith("node:")) return "node internals";
  const dependency = /node_modules\/(?:\.bun\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
    url,
  );
  if (dependency) return dependency[1] as string;
  const ours = /\/(apps|libs)\/([^/]+)\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

export function summarise(profile: CpuProfile, top = 15): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const busy =
    total -
    [...selfUs].reduce((sum, [id, us]) => {
      const name = byId.get(id)?.callFrame.functionName;
      return name === "(idle)" ? sum + us : sum;
    }, 0);
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    const place = placeOf(frame);
    const file = frame.url.split("/").at(-1) ?? "";
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1} [${place}]`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    places.set(place, (places.get(place) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled (main thread; librdkafka and the driver's sockets run beside it)`,
    "self time by place:",
    ...rank(places).map(([place, us]) => `  ${pct(us)}  ${place}`),
    "self time by function:",
    ...rank(functions).map(([name, us]) => `  ${pct(us)}  ${name}`),
  ].join("\n");
}

if (import.meta.main) {
  for (const path of process.argv.slice(2)) {
    console.log(`${path}\n${summarise(JSON.parse(readFileSync(path, "utf8")) as CpuProfile)}`);
  }
}
