import { describe, expect, test } from "bun:test";
import { checkSkips, compareCounts, countsOf, parseJunit } from "./test-report.ts";

/** Bun's JUnit shape: a suite per file, nested suites per describe, skips and failures inside cases. */
const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="6" assertions="3" failures="1" skipped="2" time="0.01">
  <testsuite name="apps/a.test.ts" file="apps/a.test.ts" tests="4" failures="1" skipped="1">
    <testsuite name="outer" file="apps/a.test.ts" tests="3">
      <testsuite name="inner &quot;x&quot;" file="apps/a.test.ts" tests="2">
        <testcase name="passes &amp; more" classname="inner" file="apps/a.test.ts" line="3" />
        <testcase name="skipped one" classname="inner" file="apps/a.test.ts" line="4">
          <skipped />
        </testcase>
      </testsuite>
      <testcase name="fails" classname="outer" file="apps/a.test.ts" line="6">
        <failure message="boom&#10;--- consumer ---" type="AssertionError" />
      </testcase>
    </testsuite>
    <testcase name="top" classname="" file="apps/a.test.ts" line="8" />
  </testsuite>
  <testsuite name="libs/b.test.ts" file="libs/b.test.ts" tests="2" skipped="1">
    <testcase name="todo one" classname="" file="libs/b.test.ts" line="1">
      <skipped message="TODO" />
    </testcase>
    <testcase name="ok" classname="" file="libs/b.test.ts" line="2" />
  </testsuite>
</testsuites>`;

describe("parseJunit", () => {
  test("names each case by file and describe path, with its outcome, and keeps the totals", () => {
    const report = parseJunit(xml);
    expect(report).toMatchObject({ total: 6, failed: 1, skipped: 2 });
    expect(report.cases).toEqual([
      {
        file: "apps/a.test.ts",
        fullName: 'apps/a.test.ts > outer > inner "x" > passes & more',
        outcome: "passed",
      },
      {
        file: "apps/a.test.ts",
        fullName: 'apps/a.test.ts > outer > inner "x" > skipped one',
        outcome: "skipped",
      },
      {
        file: "apps/a.test.ts",
        fullName: "apps/a.test.ts > outer > fails",
        outcome: "failed",
        message: "boom\n--- consumer ---",
      },
      { file: "apps/a.test.ts", fullName: "apps/a.test.ts > top", outcome: "passed" },
      { file: "libs/b.test.ts", fullName: "libs/b.test.ts > todo one", outcome: "skipped" },
      { file: "libs/b.test.ts", fullName: "libs/b.test.ts > ok", outcome: "passed" },
    ]);
  });
});

describe("checkSkips", () => {
  const cases = parseJunit(xml).cases;

  test("a skipped or todo test the allow-list does not name is unlisted", () => {
    expect(checkSkips(cases, { skips: [] }).unlisted).toEqual([
      'apps/a.test.ts > outer > inner "x" > skipped one',
      "libs/b.test.ts > todo one",
    ]);
  });

  test("a listed skip needs a reason; a listed test that ran is stale", () => {
    const result = checkSkips(cases, {
      skips: [
        { test: "libs/b.test.ts > todo one", reason: "needs a second broker" },
        { test: 'apps/a.test.ts > outer > inner "x" > skipped one', reason: " " },
        { test: "libs/b.test.ts > ok", reason: "flaky once" },
      ],
    });
    expect(result.allowed).toEqual(["libs/b.test.ts > todo one"]);
    expect(result.unlisted).toEqual(['apps/a.test.ts > outer > inner "x" > skipped one']);
    expect(result.stale).toEqual(["libs/b.test.ts > ok"]);
  });
});

describe("compareCounts", () => {
  const actual = countsOf(parseJunit(xml).cases);

  test("counts the tests that ran (not the skipped ones) per file", () => {
    expect(actual).toEqual({ "apps/a.test.ts": 3, "libs/b.test.ts": 1 });
  });

  test("a recorded file that ran no test fails the check, whatever the total", () => {
    const check = compareCounts(actual, { "apps/a.test.ts": 3, "libs/c.test.ts": 1 });
    expect(check).toMatchObject({ expected: 4, actual: 4, missingFiles: ["libs/c.test.ts"] });
    expect(check.tooFew).toBe(true);
  });

  test("under the ratio (90 % by default) of the expected tests fails; a few fewer in one file is only reported", () => {
    const few = compareCounts(actual, { "apps/a.test.ts": 40, "libs/b.test.ts": 1 });
    expect(few.tooFew).toBe(true);
    expect(few.shortFiles).toEqual([["apps/a.test.ts", 40, 3]]);
    const close = compareCounts(actual, { "apps/a.test.ts": 4, "libs/b.test.ts": 1 }, [], 0.8);
    expect(close).toMatchObject({ expected: 5, actual: 4, tooFew: false });
    expect(close.shortFiles).toEqual([["apps/a.test.ts", 4, 3]]);
  });

  test("a path selects the recorded files it contains, as bun test filters them", () => {
    const recorded = { "apps/a.test.ts": 4, "libs/b.test.ts": 2, "libs/c.test.ts": 9 };
    const check = compareCounts({ "apps/a.test.ts": 4, "apps/new.test.ts": 2 }, recorded, [
      "./apps/",
    ]);
    expect(check).toMatchObject({ expected: 4, actual: 6, tooFew: false, missingFiles: [] });
    expect(check.unrecordedFiles).toEqual(["apps/new.test.ts"]);
  });
});

describe("printFailures", () => {
  test("repeats each failed test's error at the end, indented, and cuts a long one", async () => {
    const { printFailures } = await import("./test-command.ts");
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      printFailures(parseJunit(xml).cases, 7);
    } finally {
      console.log = log;
    }
    expect(lines.join("\n")).toBe(
      "\n1 failed test(s), each with its error:\n\n✗ apps/a.test.ts > outer > fails\n    boom\n    --\n    … (14 more characters)",
    );
  });
});
