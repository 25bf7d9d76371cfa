import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TopicSpec, topicNamed, topics } from "@repo/contracts";
import { childEnv, kafkaEnv, loadConfig, registryEnv } from "@repo/platform/config";
import { RegistryAdmin } from "@repo/registry/admin";
import { TopicAdmin } from "../src/kafka-admin.ts";
import { prefixTopics, pushSchemas } from "../src/push.ts";

const stack = loadConfig({ ...registryEnv, ...kafkaEnv });
const registry = { url: stack.SCHEMA_REGISTRY_URL };
const brokers = stack.KAFKA_BROKERS;
const cli = join(import.meta.dir, "../src/push-cli.ts");
const schemasDir = join(import.meta.dir, "../../../schemas");
const rest = new RegistryAdmin(registry);
const created: TopicSpec[] = [];

const unique = (label: string) => `test.${label}.${crypto.randomUUID().slice(0, 8)}.`;

afterAll(async () => {
  for (const topic of created)
    if (topic.value !== "bytes") await rest.deleteSubject(topic.value.subject);
  const admin = new TopicAdmin(brokers);
  const existing = await admin.describe(created.map((topic) => topic.name));
  if (existing.size > 0) await admin.delete([...existing.keys()]);
  await admin.close();
});

/** Runs the real CLI and returns its exit code and output. */
async function runCli(...args: string[]): Promise<{ code: number; output: string }> {
  const child = Bun.spawn(["bun", cli, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv(),
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, output: stdout + stderr };
}

describe("bun run schemas:push", () => {
  test("twice on the declared topics: the second run changes nothing", async () => {
    await runCli();
    const second = await runCli();
    expect(second.code).toBe(0);
    expect(second.output).toContain("no changes");
    expect(second.output).not.toMatch(/: (created|registered|set)/);
    const admin = new TopicAdmin(brokers);
    const existing = await admin
      .describe(topics.map((topic) => topic.name))
      .finally(() => admin.close());
    for (const topic of topics) expect(existing.get(topic.name)?.partitions).toBe(topic.partitions);
  }, 30_000);

  test("creates, registers and sets compatibility, then reports unchanged; dry run changes nothing", async () => {
    const throwaway = prefixTopics(topics, unique("push"));
    created.push(...throwaway);
    const dry = await pushSchemas({ brokers, registry, topics: throwaway, dryRun: true });
    // Every declared topic is created, then every schema-carrying one gets its compatibility and schema.
    const withSchema = throwaway.filter((topic) => topic.value !== "bytes").length;
    expect(withSchema).toBe(3);
    expect(dry.actions.map((action): string => action.outcome)).toEqual([
      ...throwaway.map(() => "created"),
      ...Array.from({ length: withSchema }, () => ["set", "registered"]).flat(),
    ]);
    const admin = new TopicAdmin(brokers);
    expect((await admin.describe(throwaway.map((topic) => topic.name))).size).toBe(0);
    const first = await pushSchemas({ brokers, registry, topics: throwaway });
    expect(first.changed).toBe(true);
    expect(first.actions.find((a) => a.item.startsWith("subject"))?.detail).toMatch(
      /^id \d+ version 1$/,
    );
    const second = await pushSchemas({ brokers, registry, topics: throwaway });
    expect(second.changed).toBe(false);
    expect(second.actions.every((action) => action.outcome === "unchanged")).toBe(true);
    const existing = await admin
      .describe(throwaway.map((topic) => topic.name))
      .finally(() => admin.close());
    // By name: the admin answers topics in no particular order.
    expect(
      Object.fromEntries([...existing.entries()].map(([name, topic]) => [name, topic.partitions])),
    ).toEqual(Object.fromEntries(throwaway.map((t) => [t.name, t.partitions])));
    const [ticks] = throwaway;
    if (ticks?.value === "bytes" || !ticks) throw new Error("ticks must carry a schema");
    expect(await rest.subjectCompatibility(ticks.value.subject)).toBe("FULL_TRANSITIVE");
  }, 30_000);

  test("a bad variable exits 2 naming it, before connecting to anything", async () => {
    const bad = Bun.spawn(["bun", cli, "--dry-run"], {
      env: childEnv({ TOPIC_PARTITIONS_MARKET_TICKS: "zero", KAFKA_BROKERS: " , " }),
      stderr: "pipe",
    });
    expect(await bad.exited).toBe(2);
    const stderr = await new Response(bad.stderr).text();
    expect(stderr).toContain("TOPIC_PARTITIONS_MARKET_TICKS");
    expect(stderr).toContain("KAFKA_BROKERS");
  }, 15_000);

  test("an unreachable registry or broker is named, fast, with a non-zero exit", async () => {
    const started = Date.now();
    const noRegistry = Bun.spawn(["bun", cli], {
      env: childEnv({ SCHEMA_REGISTRY_URL: "http://127.0.0.1:1" }),
      stderr: "pipe",
    });
    const noBroker = Bun.spawn(["bun", cli], {
      env: childEnv({ KAFKA_BROKERS: "127.0.0.1:1" }),
      stderr: "pipe",
    });
    expect(await noRegistry.exited).toBe(1);
    expect(await new Response(noRegistry.stderr).text()).toContain("http://127.0.0.1:1");
    expect(await noBroker.exited).toBe(1);
    expect(await new Response(noBroker.stderr).text()).toContain("Kafka at 127.0.0.1:1");
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 15_000);
});

describe("schema evolution against the real registry", () => {
  const tickSchema = JSON.parse(readFileSync(join(schemasDir, "Tick.avsc"), "utf8"));
  const prefix = unique("evolution");
  const [ticks] = prefixTopics([topicNamed("market.ticks")], prefix);
  if (!ticks || ticks.value === "bytes") throw new Error("ticks must carry a schema");
  created.push(...prefixTopics(topics, prefix));
  const dir = mkdtempSync(join(tmpdir(), "schemas-"));
  for (const file of readdirSync(schemasDir)) {
    if (file.endsWith(".avsc") && file !== "Tick.avsc") {
      copyFileSync(join(schemasDir, file), join(dir, file));
    }
  }
  const writeTick = (fields: unknown[]) =>
    writeFileSync(join(dir, "Tick.avsc"), JSON.stringify({ ...tickSchema, fields }));
  const push = (...extra: string[]) =>
    runCli("--schema-dir", dir, "--topic-prefix", prefix, ...extra);
  const versionOf = async () =>
    (
      await rest.lookup(
        ticks.value !== "bytes" ? ticks.value.subject : "",
        readFileSync(join(dir, "Tick.avsc"), "utf8"),
      )
    )?.version;

  test("adding an optional field with a default registers version 2", async () => {
    writeTick(tickSchema.fields);
    expect((await push()).code).toBe(0);
    // A name no real field will take, so adding a real optional field later cannot collide with it.
    const probe = {
      name: "evolutionProbe",
      type: ["null", "long"],
      default: null,
      doc: "A field that exists only in this test.",
    };
    writeTick([...tickSchema.fields, probe]);
    const run = await push();
    expect(run.code).toBe(0);
    expect(run.output).toMatch(/registered \(id \d+ version 2\)/);
    expect(await versionOf()).toBe(2);
  }, 30_000);

  test("removing a required field is refused with the registry's message; nothing applied", async () => {
    writeTick(tickSchema.fields.filter((field: { name: string }) => field.name !== "size"));
    const dry = await push("--dry-run");
    expect(dry.code).toBe(1);
    const run = await push();
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /compatibility check failed against version 1: .*'size' has no default/,
    );
    expect(run.output).toContain("'size'");
    expect(run.output).toContain("nothing was changed");
    expect(await versionOf()).toBeUndefined();
  }, 30_000);

  test("an incompatible subject blocks every other change in the same push", async () => {
    const fresh = prefixTopics([topicNamed("market.ticks.dlq")], unique("blocked"));
    const report = await pushSchemas({
      brokers,
      registry,
      schemaDir: dir,
      topics: [ticks, ...fresh],
    });
    expect(report.errors).toHaveLength(1);
    const admin = new TopicAdmin(brokers);
    const existing = await admin
      .describe(fresh.map((topic) => topic.name))
      .finally(() => admin.close());
    expect(existing.size).toBe(0);
  }, 30_000);

  test("plain BACKWARD accepts that removal (why ticks are FULL_TRANSITIVE)", async () => {
    if (ticks.value === "bytes") return;
    const backward = { ...ticks, value: { ...ticks.value, compatibility: "BACKWARD" as const } };
    const report = await pushSchemas({ brokers, registry, schemaDir: dir, topics: [backward] });
    expect(report.errors).toEqual([]);
    expect(await versionOf()).toBe(3);
    expect(await rest.subjectCompatibility(ticks.value.subject)).toBe("BACKWARD");
  }, 30_000);
});
