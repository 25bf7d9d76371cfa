import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "../../..");
const ROOT = "PipelineError";
/** What an error class may extend outside our code: reaching one of these without the root fails. */
const FOREIGN_ERRORS = new Set(["Error", "TypeError", "RangeError", "HTTPException"]);
/**
 * Error classes allowed outside the tree, each with why: control-flow signals that a loop throws to
 * itself and catches, never reported and never retried.
 */
const OUTSIDE_THE_TREE = new Map<string, string>([]);

interface Declared {
  name: string;
  parent: string;
  file: string;
}

/** Every `class X extends Y` in the TypeScript sources of apps/* and libs/*, tests included. */
function declaredClasses(): Declared[] {
  const declared: Declared[] = [];
  const glob = new Bun.Glob("{apps,libs}/*/**/*.{ts,tsx,mts}");
  for (const file of glob.scanSync({ cwd: repoRoot })) {
    if (/(^|\/)(node_modules|dist|generated)\//.test(file)) continue;
    const text = readFileSync(join(repoRoot, file), "utf8");
    for (const match of text.matchAll(/\bclass\s+(\w+)(?:\s*<[^>{]*>)?\s+extends\s+([\w.]+)/g))
      declared.push({ name: match[1] as string, parent: match[2] as string, file });
  }
  return declared;
}

/** The chain of parents from `name` up to a class we do not declare (`Error`, a library's class). */
function ancestry(name: string, parents: Map<string, string>): string[] {
  const chain: string[] = [];
  for (let at = parents.get(name); at !== undefined && chain.length < 20; at = parents.get(at)) {
    chain.push(at);
    if (at === ROOT) break;
  }
  return chain;
}

describe("the error tree", () => {
  const classes = declaredClasses();
  const parents = new Map(classes.map(({ name, parent }) => [name, parent]));

  test("the scan sees the tree's known members, so an empty scan cannot pass", () => {
    const names = new Set(classes.map((c) => c.name));
    for (const known of [ROOT, "ApiError", "DataError", "StreamError", "RegistryError"])
      expect(names).toContain(known);
  });

  test("every error class extends PipelineError (except the listed control-flow signals)", () => {
    const outside = classes
      .filter(({ name }) => name !== ROOT)
      .filter(({ name }) => {
        const chain = ancestry(name, parents);
        const top = chain.at(-1) ?? "";
        return top !== ROOT && (FOREIGN_ERRORS.has(top) || /(Error|Exception)$/.test(top));
      })
      .map(({ name, file }) => `${file} > ${name}`)
      .filter((where) => !OUTSIDE_THE_TREE.has(where));
    expect(outside).toEqual([]);
  });
});
