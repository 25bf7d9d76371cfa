/**
 * What the producer pays per tick to validate and encode it with the Tick Avro type (`isValid`,
 * then `toBuffer`, as `records/publish.ts` does), side by side in one Node process: our
 * `DecimalType`, which answers avsc's union check for a non-string without an exception, against
 * the same type with avsc's own logical-type check swapped in (the baseline: it learns "no" for
 * every null `bid` and `ask` from the exception `_toValue` throws). Rounds alternate the two; it
 * prints µs per tick and the ratio per round.
 *
 *   bun apps/producer/bench/avro-check.ts        (bundles itself for Node and runs there)
 *   BENCH_TICKS=100000 BENCH_ROUNDS=5 bun apps/producer/bench/avro-check.ts
 */
import { avroTypeOf, DecimalType, type Tick, topicNamed } from "@repo/contracts";
import { exampleTick } from "@repo/contracts/examples";
import { loadConfig, positiveInt } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";

/** What the benchmark reads; a bad value exits 2 naming it. */
const config = configOrExit(() =>
  loadConfig({ BENCH_TICKS: positiveInt(50_000), BENCH_ROUNDS: positiveInt(3) }),
);
const ticks = config.BENCH_TICKS;
const rounds = config.BENCH_ROUNDS;

if (typeof Bun !== "undefined") {
  // The producer runs on Node: exceptions cost differently in Bun's engine.
  const outfile = "dist/bench-avro-check.js";
  const cwd = new URL("..", import.meta.url).pathname;
  const built = Bun.spawnSync(
    ["bun", "build", "bench/avro-check.ts", "--target=node", `--outfile=${outfile}`],
    { cwd, stdout: "pipe", stderr: "pipe" },
  );
  if (built.exitCode !== 0) throw new Error(`bundling: ${built.stderr}`);
  const run = Bun.spawnSync(["node", outfile], { cwd, stdout: "inherit", stderr: "inherit" });
  process.exit(run.exitCode ?? 1);
}

type Check = (...args: unknown[]) => boolean;
const decimal = DecimalType.prototype as unknown as { _check: Check };
/** Ours, and avsc's own logical-type check (`_toValue` inside a try, "no" when it throws). */
const checks: Record<"ours" | "avsc", Check> = {
  ours: decimal._check,
  avsc: (Object.getPrototypeOf(DecimalType.prototype) as { _check: Check })._check,
};

const spec = topicNamed("market.ticks").value;
if (spec === "bytes") throw new Error("market.ticks must carry an Avro value");
const tickType = avroTypeOf(spec.schema as Parameters<typeof avroTypeOf>[0]);

// The bench's usual mix: 3 trades (no bid or ask) in 4, a quote with both sides.
const mix: Tick[] = Array.from({ length: ticks }, (_, i) =>
  i % 4 === 3
    ? { ...exampleTick, kind: "QUOTE", sequence: i, size: 0, bid: "187.24", ask: "187.26" }
    : { ...exampleTick, sequence: i, price: `187.${String(i % 100).padStart(2, "0")}` },
);

/** µs per tick to validate and encode the mix with `check` as the decimal type's check. */
function timePerTick(check: Check): number {
  decimal._check = check;
  const started = process.hrtime.bigint();
  for (const tick of mix) {
    if (!tickType.isValid(tick)) throw new Error(`invalid tick ${tick.sequence}`);
    tickType.toBuffer(tick);
  }
  const us = Number(process.hrtime.bigint() - started) / 1000 / ticks;
  decimal._check = checks.ours;
  return us;
}

timePerTick(checks.ours); // warm both up
timePerTick(checks.avsc);
const ratios: number[] = [];
for (let round = 1; round <= rounds; round += 1) {
  const a = timePerTick(checks.avsc);
  const b = timePerTick(checks.ours);
  ratios.push(a / b);
  console.log(
    `round ${round}: isValid + toBuffer of ${ticks.toLocaleString("en-US")} ticks (3 trades in 4), µs per tick: avsc's check ${a.toFixed(2)}, ours ${b.toFixed(2)}: ${(a / b).toFixed(1)}× faster`,
  );
}
ratios.sort((x, y) => x - y);
console.log(`median: ${ratios[Math.floor(ratios.length / 2)]?.toFixed(1)}×`);
