import { spawn, spawnSync } from "node:child_process";
import { childEnv, stackConfig } from "./config.ts";
import { StackError } from "./ports.ts";

const installHints: Record<string, string> = {
  java: "a JDK 17 or newer (Debian: `apt-get install openjdk-17-jdk-headless`), or set JAVA_HOME",
  mvn: "Apache Maven 3.8+ (Debian: `apt-get install maven`); it downloads the Kafka and Cassandra jars",
  go: "Go 1.26 or newer on PATH (the registry is built with `go build`)",
};

/** Path of a required tool, or a StackError naming it and how to install it. */
export function requireTool(name: "java" | "mvn" | "go"): string {
  const javaHome = stackConfig.JAVA_HOME;
  const candidate = name === "java" && javaHome ? `${javaHome}/bin/java` : name;
  const probe = spawnSync(candidate, [name === "go" ? "version" : "-version"], {
    encoding: "utf8",
  });
  if (probe.error || probe.status !== 0) {
    throw new StackError(
      `missing prerequisite: \`${name}\` was not found. Install ${installHints[name]}.`,
    );
  }
  if (name === "java") {
    const text = `${probe.stderr}${probe.stdout}`;
    const major = Number(/version "(\d+)/.exec(text)?.[1] ?? 0);
    if (major < 17)
      throw new StackError(
        `Java ${major} found; Kafka 4 and Cassandra 5 need ${installHints.java}.`,
      );
  }
  return candidate;
}

/** Runs a build step, streaming nothing; on failure the error carries the step's output tail. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: childEnv(options.env),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
      .trimEnd()
      .split("\n")
      .slice(-40)
      .join("\n");
    throw new StackError(
      `\`${command} ${args.join(" ")}\` failed (exit ${result.status}):\n${output}`,
    );
  }
  return result.stdout;
}

/** `run` without blocking the event loop, so independent build steps (Maven, Go) overlap. */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
    });
    let stdout = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    child.on("error", (error) =>
      reject(new StackError(`\`${command}\` could not start: ${error.message}`)),
    );
    child.on("close", (code) => {
      if (code === 0) return resolve(stdout);
      const tail = output.trimEnd().split("\n").slice(-40).join("\n");
      reject(new StackError(`\`${command} ${args.join(" ")}\` failed (exit ${code}):\n${tail}`));
    });
  });
}
