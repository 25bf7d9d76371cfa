import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pinDeclaredSchemas } from "@repo/provision";
import { stackConfig } from "./config.ts";
import { repoRoot, stackDir } from "./paths.ts";
import { runningRecord } from "./process.ts";
import { components, down, localStackEnv, up } from "./stack.ts";
import {
  checkSkips,
  compareCounts,
  countsOf,
  parseJunit,
  type SkipAllowList,
  type TestCase,
  type TestCounts,
} from "./test-report.ts";

/** Where `bun run test` keeps the tests each file had in the last recorded full run. */
export const countsFile = join(repoRoot, "libs", "stack", "test-counts.json");
/** The only tests `bun run test` lets be skipped, each with its reason. */
export const skipsFile = join(repoRoot, "libs", "stack", "test-skips.json");

/**
 * `bun run test`: starts whatever part of the stack is not running, pins the declared schemas in the
 * registry, builds the Node services, deletes the previous reports, runs `bun test` with
 * STACK_TEST_PARALLEL files at once, slowest first by `test-timings.json` (refresh it with
 * `bun run test --update-timings`; extra arguments are passed through), prints the expected and
 * actual test counts and a one-line summary, and stops exactly the components it started (set
 * STACK_KEEP=1 to leave them running). The run fails on a failed test, on a skipped test that
 * `test-skips.json` does not list with a reason, and when a recorded file ran no test or far fewer
 * tests ran than `test-counts.json` records (`--update-counts` rewrites it after a passing run).
 */
export async function runTests(args: string[]): Promise<number> {
  const updateCounts = args.includes("--update-counts");
  const passThrough = args.filter((arg) => arg !== "--update-counts");
  const startedHere = components.filter((c) => !runningRecord(c.name));
  const rows = await up();
  console.log(`stack ready: ${rows.map((r) => `${r.name} ${r.version}`).join(", ")}`);
  try {
    if (!buildServices()) return 1;
    const pinned = await pinDeclaredSchemas({ url: localStackEnv.SCHEMA_REGISTRY_URL });
    console.log(`declared schemas pinned in the registry: ${pinned.join(", ")}`);
    const reportDir = join(stackDir, "test-results");
    mkdirSync(reportDir, { recursive: true });
    const junit = join(reportDir, "junit.xml");
    // A run that crashes before writing its report must not print the previous run's summary.
    rmSync(junit, { force: true });
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
        ...passThrough,
      ],
      { cwd: repoRoot, stdio: "inherit" },
    );
    const checked = checkRun(junit, tests.status, passThrough);
    if (checked === 0 && updateCounts) writeCounts(junit, passThrough);
    return checked;
  } finally {
    if (!stackConfig.STACK_KEEP && startedHere.length > 0) {
      const stopped = await down(startedHere);
      console.log(
        `stopped what this run started: ${stopped.map((s) => s.name).join(", ") || "nothing"}`,
      );
    }
  }
}

/** `bun test` flags whose value may follow as the next argument (not a path). */
const valueFlags = new Set([
  "-t",
  "--test-name-pattern",
  "--timeout",
  "--rerun-each",
  "--preload",
  "--shard",
  "--seed",
  "--changed",
]);

/**
 * The run's exit code from bun's status and its report: prints the expected and actual counts, the
 * skipped tests the allow-list does not name, and `Tests: N passed, N failed, N skipped` last.
 */
export function checkRun(junitFile: string, status: number | null, args: string[]): number {
  if (!existsSync(junitFile)) {
    printSummary(junitFile, status);
    console.log("\nTests: 0 passed, 0 failed, 0 skipped");
    return status === 0 || status === null ? 1 : status;
  }
  const report = parseJunit(readFileSync(junitFile, "utf8"));
  let exit = status ?? 1;
  // bun reports the tests a name filter leaves out as skipped, like test.skip: neither check applies.
  const namesFiltered = args.some((arg) => /^(-t|--test-name-pattern|--only)/.test(arg));
  const skips = checkSkips(report.cases, readJson<SkipAllowList>(skipsFile, { skips: [] }));
  for (const name of skips.allowed) console.log(`skipped (listed in test-skips.json): ${name}`);
  for (const name of skips.stale)
    console.log(`test-skips.json lists a test that ran; remove it: ${name}`);
  if (namesFiltered) {
    console.log("\na test name filter is set: skipped tests and counts are not checked");
  } else if (skips.unlisted.length > 0) {
    console.log(
      `\n${skips.unlisted.length} skipped test(s) not listed with a reason in ${relative(repoRoot, skipsFile)}:`,
    );
    for (const name of skips.unlisted) console.log(`  ${name}`);
    exit ||= 1;
  }
  const recorded = Object.fromEntries(
    Object.entries(readJson<TestCounts>(countsFile, {})).filter(([file]) =>
      existsSync(join(repoRoot, file)),
    ),
  );
  const paths = args.filter((arg, i) => !arg.startsWith("-") && !valueFlags.has(args[i - 1] ?? ""));
  const counts = compareCounts(countsOf(report.cases), recorded, paths);
  const unrecorded = counts.unrecordedFiles.length;
  console.log(
    `\nexpected ${counts.expected} tests (${counts.recordedFiles} files recorded in ${relative(repoRoot, countsFile)} by a passing run), ran ${counts.actual}` +
      (unrecorded > 0 ? ` (${unrecorded} files that ran have no recorded count)` : ""),
  );
  for (const [file, expected, actual] of counts.shortFiles)
    console.log(`  ${file}: ${actual} of ${expected}`);
  if (counts.tooFew && !namesFiltered) {
    const missing = counts.missingFiles.length;
    console.log(
      missing > 0
        ? `${missing} file(s) ran no test: they did not load or crashed (see above)`
        : "far fewer tests ran than expected (under 90 %): files did not load or crashed (see above)",
    );
    exit ||= 1;
  }
  printFailures(report.cases);
  printSummary(junitFile, status);
  return exit;
}

/**
 * Repeats each failed test's error at the end of the run, where a CI log's tail shows it (bun
 * prints it inline, among hundreds of passing tests, and lists only the names at the end).
 */
export function printFailures(cases: TestCase[], maxChars = 4_000) {
  const failed = cases.filter((c) => c.outcome === "failed");
  if (failed.length === 0) return;
  console.log(`
${failed.length} failed test(s), each with its error:`);
  for (const { fullName, message } of failed) {
    const text = message ?? "(the report holds no message)";
    const shown =
      text.length > maxChars
        ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`
        : text;
    console.log(`\n✗ ${fullName}\n${shown.replace(/^/gm, "    ")}`);
  }
}

/** Records each file's test count of a passing run in `test-counts.json` (merged with the rest). */
function writeCounts(junitFile: string, args: string[]) {
  if (args.some((arg) => /^(-t|--test-name-pattern|--only)/.test(arg))) {
    console.log(`${relative(repoRoot, countsFile)} not written: a test name filter is set`);
    return;
  }
  const counts = countsOf(parseJunit(readFileSync(junitFile, "utf8")).cases);
  const merged = args.some((arg) => !arg.startsWith("-"))
    ? { ...readJson<TestCounts>(countsFile, {}), ...counts }
    : counts;
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(countsFile, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(`wrote ${relative(repoRoot, countsFile)}: ${Object.keys(sorted).length} files`);
}

function readJson<T>(file: string, fallback: T): T {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as T) : fallback;
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
 * something the report does not count (a file that did not load, an error between tests) or wrote
 * no report at all.
 */
export function printSummary(junitFile: string, status: number | null) {
  if (!existsSync(junitFile)) {
    console.log(`\nbun test wrote no report (${junitFile}); it exited ${status ?? "on a signal"}`);
    return;
  }
  const { total, failed, skipped } = parseJunit(readFileSync(junitFile, "utf8"));
  if (status !== 0 && failed === 0) {
    console.log(
      "bun test failed outside the counted tests (a file that did not load or an error between tests): see the output above",
    );
  }
  console.log(`\nTests: ${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
}
