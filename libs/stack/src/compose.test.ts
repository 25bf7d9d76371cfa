import { describe, expect, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildContext, dockerignore, looksSecret } from "./docker/context.ts";
import { repoRoot } from "./paths.ts";

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
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
const apps = { producer: 3002, consumer: 3003, ingest: 3001, api: 3004, analytics: 3005 } as const;
/** The Node services' one Dockerfile (the app and its port are build arguments). */
const NODE_SERVICE = "apps/node-service.Dockerfile";
const nodeApps = ["producer", "consumer", "api", "analytics"] as const;
/** The Bun services: each builds from its own `apps/<name>/Dockerfile` and runs `bun dist/main.js`. */
const bunApps: readonly string[] = ["ingest"];

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

  test("the consumer runs with the malloc settings its own start scripts set", () => {
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, "apps/consumer/package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    // Shell defaults: the user's own values win.
    const mallocDefaults =
      "MALLOC_ARENA_MAX=$" +
      "{MALLOC_ARENA_MAX:-2} MALLOC_MMAP_THRESHOLD_=$" +
      "{MALLOC_MMAP_THRESHOLD_:-131072} MALLOC_TRIM_THRESHOLD_=$" +
      "{MALLOC_TRIM_THRESHOLD_:-131072} node";
    expect(scripts.start).toContain(mallocDefaults);
    expect(scripts.dev).toContain(mallocDefaults);
    const environment = services.consumer?.environment ?? {};
    expect(String(environment.MALLOC_ARENA_MAX)).toBe("2");
    expect(String(environment.MALLOC_MMAP_THRESHOLD_)).toBe("131072");
    expect(String(environment.MALLOC_TRIM_THRESHOLD_)).toBe("131072");
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
      if (bunApps.includes(app)) expect(dockerfile).toBe(`apps/${app}/Dockerfile`);
      else {
        expect(dockerfile).toBe(NODE_SERVICE);
        expect(service?.build?.args).toEqual({ APP: app, PORT: String(port) });
      }
      expect(existsSync(join(repoRoot, dockerfile))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(repoRoot, `apps/${app}/package.json`), "utf8"));
      const cmd = dockerCmd(dockerfile);
      // Every image runs the bundle that the app's build script makes from src/main.ts.
      expect(cmd.at(-1)).toBe("dist/main.js");
      expect(pkg.scripts.build).toContain("./src/main.ts");
      expect(existsSync(join(repoRoot, "apps", app, "src/main.ts"))).toBe(true);
      if (bunApps.includes(app)) {
        expect(cmd).toEqual(["bun", "dist/main.js"]);
        expect(pkg.scripts.start).toBe("bun src/main.ts");
      } else {
        // A leading variable assignment of the script is the service's compose environment.
        const [, assigned, command] = /^((?:[A-Z_]+=\S+ )*)(.*)$/.exec(pkg.scripts.start) ?? [];
        expect(cmd.join(" ")).toBe(command ?? "");
        for (const [name] of (assigned ?? "")
          .trim()
          .split(" ")
          .filter(Boolean)
          .map((a) => a.split("=")))
          expect(service?.environment?.[name as string]).toBeDefined();
      }
      expect(service?.ports).toEqual([`127.0.0.1:${port}:${port}`]);
      expect(Number(service?.environment?.PORT)).toBe(port);
    });
  }
});

/** A Dockerfile's stages: the `FROM` line (image and alias) and the instructions under it. */
function stages(dockerfile: string): { from: string; lines: string[] }[] {
  const text = readFileSync(join(repoRoot, dockerfile), "utf8").replace(/\\\n\s*/g, " ");
  const result: { from: string; lines: string[] }[] = [];
  for (const line of text.split("\n").map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("FROM ")) result.push({ from: line.slice(5).trim(), lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

const dockerfiles = [NODE_SERVICE, "apps/ingest/Dockerfile", "libs/stack/tools.Dockerfile"];

describe("images", () => {
  test("every Dockerfile compose builds is checked here", () => {
    const built = Object.values(services).flatMap((s) => (s.build ? [s.build.dockerfile] : []));
    for (const dockerfile of built) expect(dockerfiles).toContain(dockerfile);
  });

  for (const dockerfile of dockerfiles) {
    test(`${dockerfile}: runs as a non-root user, on Node 24 LTS where it runs Node, installing only from the lockfile`, () => {
      const all = stages(dockerfile);
      const final = all.at(-1);
      const user = final?.lines
        .filter((l) => l.startsWith("USER "))
        .at(-1)
        ?.slice(5)
        .trim();
      expect(user, "the final stage sets a USER").toBeDefined();
      expect(["root", "0", "0:0"]).not.toContain(user);
      for (const stage of all) {
        const node = /^node:(\d+)/.exec(stage.from);
        if (node) expect(Number(node[1]), `${stage.from} is the current LTS line`).toBe(24);
        expect(stage.from).not.toMatch(/:latest\b/);
        for (const line of stage.lines.filter((l) => l.startsWith("RUN "))) {
          expect(line, "no install that bypasses bun.lock").not.toMatch(
            /\bnpm (install|i)\b|\byarn add\b|\bpnpm add\b/,
          );
          if (/\bbun install\b/.test(line)) expect(line).toContain("--frozen-lockfile");
        }
      }
    });
  }

  test("the ingest image holds only ingest's bundle", () => {
    const final = stages("apps/ingest/Dockerfile").at(-1);
    const copies = final?.lines.filter((l) => l.startsWith("COPY ") || l.startsWith("ADD ")) ?? [];
    expect(copies).toEqual(["COPY --from=build /repo/apps/ingest/dist ./dist"]);
  });

  test("the Node services' runtime stage gets the bundle and lockfile-installed dependencies, never the sources", () => {
    const final = stages(NODE_SERVICE).at(-1);
    const copies = final?.lines.filter((l) => l.startsWith("COPY ") || l.startsWith("ADD "));
    expect(copies?.length).toBeGreaterThan(0);
    for (const copy of copies ?? []) expect(copy, "copied from a build stage").toContain("--from=");
    const deps = stages(NODE_SERVICE).find((s) => s.from.endsWith(" AS deps"));
    expect(deps?.lines.join("\n")).toContain(
      'bun install --frozen-lockfile --production --filter "@repo/$APP"',
    );
    for (const app of nodeApps)
      expect(existsSync(join(repoRoot, "apps", app, "package.json")), app).toBe(true);
  });

  test("the Node services' Dockerfile declares each build argument in every stage that uses it (an ARG is scoped to its stage)", () => {
    const used = (line: string) => [...line.matchAll(/\$\{?([A-Z_]+)\}?/g)].map((m) => m[1]);
    for (const stage of stages(NODE_SERVICE)) {
      const declared = new Set(
        stage.lines.filter((l) => l.startsWith("ARG ")).map((l) => l.slice(4).trim()),
      );
      for (const line of stage.lines.filter(
        (l) => !l.startsWith("CMD ") && !l.startsWith("HEALTHCHECK "),
      ))
        for (const name of used(line))
          expect(declared.has(name as string), `${stage.from}: ${line} uses ${name}`).toBe(true);
    }
  });

  test("compose: the one-shot tools have their own image; the producer needs a token and ingest sends it", () => {
    for (const name of oneShots)
      expect(services[name]?.build?.dockerfile).toBe("libs/stack/tools.Dockerfile");
    expect(String(services.producer?.environment?.PRODUCER_TOKENS)).toMatch(
      /^ingest:\$\{PRODUCER_TOKEN:\?/,
    );
    expect(String(services.ingest?.environment?.PRODUCER_TOKEN)).toMatch(/^\$\{PRODUCER_TOKEN:\?/);
  });
});

describe("build contexts", () => {
  const ignoreFile = join(repoRoot, ".dockerignore");

  test("the repository's context (what `docker build .` sends) holds no secret-looking file and everything the images build from", () => {
    const context = buildContext(repoRoot);
    expect(context.filter(looksSecret)).toEqual([]);
    expect(context.some((path) => path.split("/").includes("node_modules"))).toBe(false);
    expect(context.some((path) => path.startsWith(".stack/") || path.startsWith(".git/"))).toBe(
      false,
    );
    for (const needed of [
      "package.json",
      "bun.lock",
      "apps/ingest/src/main.ts",
      "apps/producer/src/main.ts",
      "libs/provision/src/push-cli.ts",
      "cql/002_market_tables.cql",
      "schemas/Tick.avsc",
    ])
      expect(context, needed).toContain(needed);
  });

  test("secrets a developer might leave in the tree stay out of the context, sources stay in", () => {
    const root = mkdtempSync(join(tmpdir(), "context-"));
    try {
      const plant = (path: string) => {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), "x");
      };
      const secrets = [
        ".env",
        ".env.local",
        "apps/producer/.env.production",
        "tokens/producer.key",
        "certs/ca.pem",
        "certs/kafka.p12",
        "deploy/id_rsa",
        "home/.ssh/id_ed25519",
        ".npmrc",
        "libs/stack/.netrc",
      ];
      const dropped = [
        ".stack/conf/kafka/server.properties",
        ".stack/logs/kafka.log",
        ".git/config",
        "node_modules/hono/index.js",
        "apps/api/node_modules/.bin/x",
        "apps/producer/dist/main.js",
        "apps/ingest/.turbo/turbo-build.log",
      ];
      const kept = ["package.json", "bun.lock", "apps/ingest/src/main.ts", "cql/001_keyspace.cql"];
      for (const path of [...secrets, ...dropped, ...kept]) plant(path);
      copyFileSync(ignoreFile, join(root, ".dockerignore"));
      const context = buildContext(root);
      expect(context.filter(looksSecret)).toEqual([]);
      expect(context.sort()).toEqual([".dockerignore", ...kept].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("the matcher follows Docker's rules: root-anchored patterns, ** at any depth, parent folders, last rule wins", () => {
    const ignored = dockerignore(
      ["# comment", "/secret", "*/tmp*", "**/*.log", "docs", "!docs/keep.md", "a?c"].join("\n"),
    );
    expect(ignored("secret")).toBe(true);
    expect(ignored("apps/secret")).toBe(false);
    expect(ignored("apps/tmpfile")).toBe(true);
    expect(ignored("apps/x/tmpfile")).toBe(false);
    expect(ignored("deep/down/there/debug.log")).toBe(true);
    expect(ignored("docs/guide.md")).toBe(true);
    expect(ignored("docs/keep.md")).toBe(false);
    expect(ignored("abc")).toBe(true);
    expect(ignored("a/c")).toBe(false);
    expect(looksSecret("apps/x/.env.example")).toBe(true);
    expect(looksSecret("libs/stack/src/scratch/certificates.ts")).toBe(false);
  });
});
