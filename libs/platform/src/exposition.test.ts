import { describe, expect, test } from "bun:test";
import { parseExposition } from "./exposition.ts";

const valid = `# HELP a_total Things.
# TYPE a_total counter
a_total{reason="x \\"q\\" \\\\ \\n"} 3
a_total 1e3
# TYPE h_seconds histogram
h_seconds_bucket{le="0.1"} 1
h_seconds_bucket{le="1"} 2
h_seconds_bucket{le="+Inf"} 2
h_seconds_sum 0.55
h_seconds_count 2
# TYPE g gauge
g NaN
g{p="1"} -Inf 1700000000000
`;

describe("the exposition text reader", () => {
  test("reads families, escaped label values and special floats", () => {
    const families = parseExposition(valid);
    expect(families.get("a_total")?.samples[0]?.labels.reason).toBe('x "q" \\ \n');
    expect(families.get("a_total")?.samples[1]?.value).toBe(1000);
    expect(families.get("h_seconds")?.samples).toHaveLength(5);
    expect(families.get("g")?.samples[0]?.value).toBeNaN();
    expect(families.get("g")?.samples[1]?.value).toBe(Number.NEGATIVE_INFINITY);
  });

  test.each([
    ["a bad metric name", "1abc 3\n"],
    ["an unquoted label value", "a{b=c} 1\n"],
    ["a value that is not a float", "a 1,5\n"],
    ["a missing final line feed", "a 1"],
    ["a TYPE after its samples", "a 1\n# TYPE a counter\n"],
    ["two TYPE lines", "# TYPE a counter\n# TYPE a counter\na 1\n"],
    ["a duplicate series", 'a{b="1"} 1\na{b="1"} 2\n'],
    ["split samples of one family", 'a 1\nb 1\na{x="2"} 1\n'],
    [
      "non-cumulative buckets",
      '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
    ],
    [
      "a +Inf bucket that differs from _count",
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
    ["a bad escape", 'a{b="\\x"} 1\n'],
  ])("refuses %s", (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
