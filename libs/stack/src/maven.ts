import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "./paths.ts";
import { requireTool, runAsync } from "./tools.ts";

export interface Artifact {
  group: string;
  artifact: string;
  version: string;
}

/**
 * Resolves artifacts and their runtime dependencies from Maven Central with Maven itself (checksums
 * verified, cached in ~/.m2) and copies the jars into `~/.cache/marketpipe/<name>/libs`. Idempotent:
 * a complete previous resolution is reused without starting Maven.
 */
export async function resolveClasspath(name: string, artifacts: Artifact[]): Promise<string> {
  const home = join(cacheDir, name);
  const libs = join(home, "libs");
  const marker = join(home, ".complete");
  if (existsSync(marker) && existsSync(libs) && readdirSync(libs).length > 0) return libs;

  const mvn = requireTool("mvn");
  mkdirSync(home, { recursive: true });
  const dependencies = artifacts
    .map(
      (a) =>
        `<dependency><groupId>${a.group}</groupId><artifactId>${a.artifact}</artifactId><version>${a.version}</version></dependency>`,
    )
    .join("\n    ");
  writeFileSync(
    join(home, "pom.xml"),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.marketpipe.stack</groupId>
  <artifactId>${name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dependencies}
  </dependencies>
</project>
`,
  );
  const staging = join(home, "libs.partial");
  rmSync(staging, { recursive: true, force: true });
  console.log(`  resolving ${name} jars with Maven (first run only)…`);
  await runAsync(
    mvn,
    [
      "-B",
      "-q",
      "dependency:copy-dependencies",
      `-DoutputDirectory=${staging}`,
      "-DincludeScope=runtime",
    ],
    { cwd: home },
  );
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(marker, new Date().toISOString());
  return libs;
}
