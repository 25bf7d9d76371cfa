import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One `.dockerignore` rule: a pattern anchored at the context root, or an exception (`!`). */
interface Rule {
  regex: RegExp;
  exception: boolean;
  /** The pattern's leading path without wildcards, to know which excluded folders may hide an exception. */
  literalPrefix: string;
}

/**
 * Parses `.dockerignore` the way Docker's builder does (moby/patternmatcher): `#` comments and
 * blank lines skipped, patterns relative to the context root (a leading `/` is dropped), Go
 * `filepath.Match` wildcards (`*` and `?` never cross `/`, `[…]` classes) plus `**` for any number
 * of folders, `!` exceptions, the last matching rule winning, and a path excluded when it or any
 * folder above it matches.
 *
 * @example
 *   const ignored = dockerignore("**\/.env\n!keep/.env");
 *   ignored("apps/api/.env"); // true
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = parseRules(text);
  return (path) => excluded(rules, path);
}

function parseRules(text: string): Rule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const exception = line.startsWith("!");
      const pattern = clean(exception ? line.slice(1).trim() : line);
      return {
        regex: toRegex(pattern),
        exception,
        literalPrefix: pattern.split(/[*?[\\]/)[0] ?? "",
      };
    });
}

/** `filepath.Clean` for patterns: no leading `/`, no `./`, no empty or trailing separators. */
function clean(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && parts.length > 0) parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function toRegex(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      i += 1;
      if (pattern[i + 1] === "/") {
        i += 1;
        source += "(?:.*/)?";
      } else source += ".*";
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) source += "\\[";
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^\^/, "^")
          .replace(/^!/, "^");
        source += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (char === "\\" && i + 1 < pattern.length) {
      i += 1;
      source += escapeRegex(pattern[i] as string);
    } else source += escapeRegex(char);
  }
  return new RegExp(`^${source}$`);
}

const escapeRegex = (text: string) => text.replace(/[.+^${}()|[\]\\/]/g, "\\$&");

/** The path itself or a folder above it matches; the last matching rule decides. */
function excluded(rules: readonly Rule[], path: string): boolean {
  const parents = path.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
  let result = false;
  for (const rule of rules) {
    if (parents.some((candidate) => rule.regex.test(candidate))) result = !rule.exception;
  }
  return result;
}

/**
 * The files Docker would send as the build context of `root` under its `.dockerignore` (paths
 * relative to `root`, `/`-separated, sorted). Excluded folders are not walked unless an exception
 * could re-include something inside them, as Docker's own walker does.
 *
 * @example
 *   buildContext(repoRoot).includes(".env"); // false
 */
export function buildContext(root: string, ignoreFile = join(root, ".dockerignore")): string[] {
  let text = "";
  try {
    text = readFileSync(ignoreFile, "utf8");
  } catch {
    // no .dockerignore: everything is sent
  }
  const rules = parseRules(text);
  const exceptions = rules.filter((rule) => rule.exception);
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      const isDirectory = entry.isDirectory() && !lstatSync(join(root, path)).isSymbolicLink();
      if (excluded(rules, path)) {
        const mayHideException = exceptions.some(
          (rule) =>
            rule.literalPrefix === "" ||
            rule.literalPrefix.startsWith(`${path}/`) ||
            path.startsWith(rule.literalPrefix),
        );
        if (!isDirectory || !mayHideException) continue;
      }
      if (isDirectory) walk(path);
      else files.push(path);
    }
  };
  walk("");
  return files.sort();
}

/** Names that hold secrets by convention: env files, private keys, key stores, credential files. */
const SECRET_NAME =
  /^(\.env(\..+)?|.+\.(pem|key|crt|p12|pfx|jks|keystore|tfvars)|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|\.npmrc|\.netrc|\.pgpass|credentials\.json)$/i;

/**
 * Whether a file name looks like it holds a secret.
 *
 * @example
 *   looksSecret("apps/api/.env.local"); // true
 */
export function looksSecret(path: string): boolean {
  return SECRET_NAME.test(path.split("/").at(-1) ?? "");
}
