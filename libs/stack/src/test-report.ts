/**
 * What `bun run test` reads from bun's JUnit report: every test with its file, describe path and
 * outcome; and the two checks the run makes on it (skips need a listed reason; far fewer tests than
 * the last recorded run fails it).
 */

/** One test case of the report. */
export interface TestCase {
  /** The test file, relative to the repository root. */
  file: string;
  /** `<file> > <describe> > … > <test name>`, as the allow-list names it. */
  fullName: string;
  outcome: "passed" | "failed" | "skipped";
  /** A failed test's error message (its first line and the diagnosis the test attached). */
  message?: string;
}

/** The report's totals (the root element's counts) and each of its test cases. */
export interface TestReport {
  total: number;
  failed: number;
  skipped: number;
  cases: TestCase[];
}

const entities: Record<string, string> = {
  "&quot;": '"',
  "&apos;": "'",
  "&lt;": "<",
  "&gt;": ">",
  "&amp;": "&",
};
const decodeEntities = (text: string) =>
  text.replace(/&(quot|apos|lt|gt|amp|#\d+|#x[0-9a-f]+);/gi, (entity) => {
    if (entity.startsWith("&#x")) return String.fromCodePoint(Number.parseInt(entity.slice(3), 16));
    if (entity.startsWith("&#")) return String.fromCodePoint(Number(entity.slice(2, -1)));
    return entities[entity] ?? entity;
  });

function attribute(tag: string, name: string): string | undefined {
  const found = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return found ? decodeEntities(found[1] as string) : undefined;
}

/**
 * Parses bun's JUnit XML: nested `<testsuite>` elements (the file, then each describe) around
 * `<testcase>` elements holding `<skipped>`, `<failure>` or `<error>` when not passed.
 *
 * @example
 *   const report = parseJunit(readFileSync(".stack/test-results/junit.xml", "utf8"));
 *   report.cases.filter((c) => c.outcome === "skipped").map((c) => c.fullName);
 */
export function parseJunit(xml: string): TestReport {
  const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
  const count = (name: string) => Number(attribute(root, name) ?? 0);
  const cases: TestCase[] = [];
  const suites: string[] = [];
  let current: TestCase | undefined;
  for (const [tag] of xml.matchAll(/<\/?(testsuite|testcase|skipped|failure|error)\b[^>]*>/g)) {
    const closing = tag.startsWith("</");
    const selfClosing = tag.endsWith("/>");
    const name = /^<\/?(\w+)/.exec(tag)?.[1];
    if (name === "testsuite") {
      if (closing) suites.pop();
      else if (!selfClosing) suites.push(attribute(tag, "name") ?? "");
    } else if (name === "testcase") {
      if (closing) {
        if (current) cases.push(current);
        current = undefined;
        continue;
      }
      const file = attribute(tag, "file") ?? suites[0] ?? "";
      const path = [suites[0] ?? file, ...suites.slice(1), attribute(tag, "name") ?? ""];
      current = { file, fullName: path.join(" > "), outcome: "passed" };
      if (selfClosing) {
        cases.push(current);
        current = undefined;
      }
    } else if (current && !closing) {
      current.outcome = name === "skipped" ? "skipped" : "failed";
      const message = name === "skipped" ? undefined : attribute(tag, "message");
      if (message) current.message = message;
    }
  }
  return {
    total: count("tests"),
    failed: count("failures") + count("errors"),
    skipped: count("skipped"),
    cases,
  };
}

/** `libs/stack/test-skips.json`: the only tests allowed to be skipped, each with why. */
export interface SkipAllowList {
  skips: { test: string; reason: string }[];
}

/**
 * The skipped tests the allow-list does not name (these fail the run), and the listed ones that
 * ran this time (stale entries to remove). A listed entry must give a non-empty reason.
 *
 * @example
 *   const { unlisted } = checkSkips(report.cases, { skips: [] });
 *   if (unlisted.length > 0) process.exitCode = 1;
 */
export function checkSkips(
  cases: readonly TestCase[],
  allowList: SkipAllowList,
): { unlisted: string[]; allowed: string[]; stale: string[] } {
  const reasons = new Map(
    allowList.skips.filter((s) => s.reason.trim() !== "").map((s) => [s.test, s.reason]),
  );
  const skipped = cases.filter((c) => c.outcome === "skipped").map((c) => c.fullName);
  const ran = new Set(cases.filter((c) => c.outcome !== "skipped").map((c) => c.fullName));
  return {
    unlisted: skipped.filter((name) => !reasons.has(name)),
    allowed: skipped.filter((name) => reasons.has(name)),
    stale: [...reasons.keys()].filter((name) => ran.has(name)),
  };
}

/** `libs/stack/test-counts.json`: how many tests each file had in the last recorded full run. */
export type TestCounts = Record<string, number>;

/** Tests that ran (passed or failed, not skipped) per file of a report. */
export function countsOf(cases: readonly TestCase[]): TestCounts {
  const counts: TestCounts = {};
  for (const c of cases) if (c.outcome !== "skipped") counts[c.file] = (counts[c.file] ?? 0) + 1;
  return counts;
}

/** Expected and actual test counts of a run, and whether far fewer ran than expected. */
export interface CountCheck {
  expected: number;
  actual: number;
  /** Recorded files the selection covers (their counts make `expected`). */
  recordedFiles: number;
  /** Files that ran but have no recorded count (not part of `expected`). */
  unrecordedFiles: string[];
  /** Recorded files with at least one test that ran none (not loaded, crashed, deleted). */
  missingFiles: string[];
  /** Recorded files that ran fewer tests than recorded: [file, expected, actual]. */
  shortFiles: [string, number, number][];
  /** True when a recorded file ran no test, or fewer than `minRatio` of the expected tests ran. */
  tooFew: boolean;
}

/**
 * Compares the tests that ran with the recorded counts of the selected files (every recorded file
 * when `selected` is empty; else those whose path contains one of the selections, as `bun test
 * <path>` filters).
 *
 * @example
 *   const check = compareCounts(countsOf(report.cases), recorded, ["apps/producer"]);
 *   console.log(`expected ${check.expected}, ran ${check.actual}`);
 */
export function compareCounts(
  actual: TestCounts,
  recorded: TestCounts,
  selected: readonly string[] = [],
  minRatio = 0.9,
): CountCheck {
  const selections = selected.map((path) => path.replace(/^\.\//, "").replace(/\/$/, ""));
  const chosen = Object.keys(recorded).filter(
    (file) => selections.length === 0 || selections.some((s) => file.includes(s)),
  );
  const expected = chosen.reduce((sum, file) => sum + (recorded[file] ?? 0), 0);
  const total = Object.values(actual).reduce((sum, n) => sum + n, 0);
  const missingFiles = chosen.filter((file) => (recorded[file] ?? 0) > 0 && !actual[file]);
  const shortFiles = chosen
    .filter((file) => (actual[file] ?? 0) < (recorded[file] ?? 0))
    .map((file): [string, number, number] => [file, recorded[file] ?? 0, actual[file] ?? 0]);
  return {
    expected,
    actual: total,
    recordedFiles: chosen.length,
    unrecordedFiles: Object.keys(actual).filter((file) => !(file in recorded)),
    missingFiles,
    shortFiles,
    tooFew: missingFiles.length > 0 || total < expected * minRatio,
  };
}
