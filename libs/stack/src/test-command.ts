import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stackConfig } from "./config.ts";
import { repoRoot, stackDir } from "./paths.ts";
import { runningRecord } from "./process.ts";
import { components, down, up } from "./stack.ts";

/**
 * `bun run test`: starts whatever part of the stack is not running, builds the Node services, runs
 * `bun test` with STACK_TEST_PARALLEL files at once, slowest first by `test-timings.json` (refresh
 * it with `bun run test --update-timings`; extra arguments are passed through), prints a one-line
 * summary, and stops exactly the components it started (set STACK_KEEP=1 to leave them running).
 */
export async function runTests(args: string[]): Promise<number> {
  const startedHere = components.filter((c) => !runningRecord(c.name));
  const rows = await up();
  console.log(`stack ready: ${rows.map((r) => `${r.name} ${r.version}`).join(", ")}`);
  try {
    if (!buildServices()) return 1;
    const reportDir = join(stackDir, "test-results");
    mkdirSync(reportDir, { recursive: true });
    const junit = join(reportDir, "junit.xml");
    const timings = join(repoRoot, "libs", "stack", "test-timings.json");
    const tests = spawnSync(
      "bun",
      [
        "test",
        "--timeout",
        "120000",
        `--parallel=${stackConfig.STACK_TEST_PARALLEL}`,
        // The slowest files start first, so the last minutes are not one long file alone.
        `--timings=${timings}`,
        "--reporter=junit",
        `--reporter-outfile=${junit}`,
        ...args,
      ],
      { cwd: repoRoot, stdio: "inherit" },
    );
    printSummary(junit, tests.status);
    return tests.status ?? 1;
  } finally {
    if (!stackConfig.STACK_KEEP && startedHere.length > 0) {
      const stopped = await down(startedHere);
      console.log(
        `stopped what this run started: ${stopped.map((s) => s.name).join(", ") || "nothing"}`,
      );
    }
  }
}

/** `turbo run build`, so spawned services run the current code; false (said why) when it failed. */
export function buildServices(): boolean {
  const build = spawnSync("bunx", ["turbo", "run", "build", "--output-logs=errors-only"], {
    cwd: repoRoot,
    stdio: "inherit",
  });
  if (build.status === 0) return true;
  console.error("build failed; not running tests");
  return false;
}

/**
 * Prints `Tests: N passed, N failed, N skipped` from a JUnit report, and says so when bun failed for
 * something the report does not count (a file that did not load, an error between tests).
 */
export function printSummary(junitFile: string, status: number | null) {
  if (!existsSync(junitFile)) return;
  const xml = readFileSync(junitFile, "utf8");
  const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
  const total = attr("tests");
  const failed = attr("failures") + attr("errors");
  const skipped = attr("skipped");
  console.log(`\nTests: ${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
  if (status !== 0 && failed === 0) {
    console.log(
      "bun test failed outside the counted tests (a file that did not load or an error between tests): see the output above",
    );
  }
}
