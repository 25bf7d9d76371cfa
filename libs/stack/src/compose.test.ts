import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  command?: string[];
  working_dir?: string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = Bun.YAML.parse(readFileSync(join(repoRoot, "compose.yaml"), "utf8")) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const oneShots = ["cql-migrate", "schemas-push"];
const apps = { producer: 3002, consumer: 3003, ingest: 3001 } as const;

/** `CMD ["node", "x.js"]` of a Dockerfile as an argv array. */
function dockerCmd(dockerfile: string): string[] {
  const line = readFileSync(join(repoRoot, dockerfile), "utf8")
    .split("\n")
    .find((l) => l.startsWith("CMD "));
  return JSON.parse(line?.slice(4) ?? "[]") as string[];
}

describe("compose.yaml", () => {
  test("runs the vendors' Kafka 4, Confluent Schema Registry and Cassandra 5.0 on the local stack's host ports", () => {
    expect(services.kafka?.image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    expect(services["schema-registry"]?.image).toMatch(/^confluentinc\/cp-schema-registry:\d/);
    expect(services.cassandra?.image).toMatch(/^cassandra:5\.0\.\d+$/);
    expect(services.kafka?.ports).toEqual(["127.0.0.1:9092:9092"]);
    expect(services["schema-registry"]?.ports).toEqual(["127.0.0.1:8081:8081"]);
    expect(services.cassandra?.ports).toEqual(["127.0.0.1:9042:9042"]);
    expect(services.kafka?.environment?.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe("false");
  });

  test("every long-running service has a health check and every dependency exists", () => {
    for (const [name, service] of Object.entries(services)) {
      if (!oneShots.includes(name))
        expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        expect(["service_healthy", "service_completed_successfully"]).toContain(condition);
      }
    }
  });

  test("migrations and the schema push are one-shot services running the real root scripts", () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"))
      .scripts as Record<string, string>;
    for (const name of oneShots) {
      const command = services[name]?.command ?? [];
      expect(command.slice(0, 2)).toEqual(["bun", "run"]);
      expect(scripts[command[2] ?? ""], `${name} runs a root script`).toBeDefined();
    }
    expect(services.consumer?.depends_on?.["cql-migrate"]?.condition).toBe(
      "service_completed_successfully",
    );
    expect(services.producer?.depends_on?.["schemas-push"]?.condition).toBe(
      "service_completed_successfully",
    );
  });

  for (const [app, port] of Object.entries(apps)) {
    test(`${app} is built from its Dockerfile whose CMD is the app's real start command`, () => {
      const service = services[app];
      const dockerfile = service?.build?.dockerfile ?? "";
      expect(dockerfile).toBe(`apps/${app}/Dockerfile`);
      expect(existsSync(join(repoRoot, dockerfile))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(repoRoot, `apps/${app}/package.json`), "utf8"));
      expect(dockerCmd(dockerfile).join(" ")).toBe(pkg.scripts.start);
      const entry = dockerCmd(dockerfile).at(-1) ?? "";
      const source = app === "ingest" ? entry : "src/main.ts";
      expect(existsSync(join(repoRoot, "apps", app, source)), `${app} entry ${source}`).toBe(true);
      if (app !== "ingest") expect(pkg.scripts.build).toContain("./src/main.ts");
      expect(service?.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      expect(Number(service?.environment?.PORT)).toBe(port);
    });
  }
});
