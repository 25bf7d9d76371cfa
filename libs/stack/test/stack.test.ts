import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Admin } from "@platformatic/kafka";
import {
  cassandraClient,
  createTopics,
  dropIsolated,
  dropKeyspace,
  eventually,
  readTopic,
  uniqueId,
} from "@repo/testkit";
import type { Server } from "../src/components/types.ts";
import { assertPortsFree, StackError } from "../src/ports.ts";
import {
  logFile,
  recordStarted,
  runningRecord,
  startDetached,
  stopRecorded,
} from "../src/process.ts";
import { downTopology, type Topology, upTopology } from "../src/topology.ts";
import { waitUntilReady } from "../src/wait.ts";

const repoRoot = resolve(import.meta.dir, "../../..");
/** Every topic and subject these tests create starts with it; afterAll deletes them. */
const prefix = `${uniqueId("stack")}.`;
afterAll(() => dropIsolated({ prefix, groups: [`roundtrip-${prefix}rdkafka`] }));

describe("the local stack serves real clients", () => {
  test("Kafka creates and describes a topic with 6 partitions", async () => {
    const topic = `${prefix}six`;
    await createTopics([{ name: topic, partitions: 6 }]);
    const admin = new Admin({ clientId: "stack-test", bootstrapBrokers: ["127.0.0.1:9092"] });
    try {
      const metadata = await admin.metadata({ topics: [topic] });
      const described = metadata.topics.get(topic);
      expect(described?.partitionsCount).toBe(6);
      expect(described?.partitions.every((p) => p.leader === 1)).toBe(true);
    } finally {
      await admin.close();
    }
  });

  test("Kafka does not create topics implicitly", async () => {
    const admin = new Admin({ clientId: "stack-test", bootstrapBrokers: ["127.0.0.1:9092"] });
    try {
      const absent = `${prefix}absent`;
      await admin.metadata({ topics: [absent], autocreateTopics: true }).catch(() => undefined);
      // A broker that auto-creates does so asynchronously, through the controller, in order: once a
      // topic created after the request is listed, an auto-created one would be listed too.
      const later = `${prefix}created-after`;
      await createTopics([{ name: later, partitions: 1 }]);
      const listed = await eventually(
        async () => {
          const names = await admin.listTopics();
          return names.includes(later) ? names : undefined;
        },
        { message: `${later}, created after the metadata request, was never listed` },
      );
      expect(listed).not.toContain(absent);
    } finally {
      await admin.close();
    }
  });

  test("the registry registers an Avro schema and serves it by id", async () => {
    const registry = new SchemaRegistry({ host: "http://127.0.0.1:8081" });
    const subject = `${prefix}subject-value`;
    const schema = {
      type: "record",
      name: "Probe",
      namespace: "market.test",
      fields: [{ name: "symbol", type: "string" }],
    };
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject },
    );
    expect(id).toBeGreaterThan(0);
    const fetched = await registry.getSchema(id);
    const encoded = await registry.encode(id, { symbol: "AAPL" });
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ symbol: "AAPL" });
    expect(JSON.parse(JSON.stringify(fetched))).toMatchObject({ name: "market.test.Probe" });
  });

  describe("Cassandra", () => {
    const keyspace = uniqueId("stack_rw");
    afterAll(() => dropKeyspace(keyspace));

    test("writes and reads back a row", async () => {
      const client = await cassandraClient();
      try {
        const release = (await client.execute("SELECT release_version FROM system.local")).first();
        expect(String(release?.get("release_version"))).toStartWith("5.0.");
        await client.execute(
          `CREATE KEYSPACE ${keyspace} WITH replication = {'class':'SimpleStrategy','replication_factor':1}`,
        );
        await client.execute(
          `CREATE TABLE ${keyspace}.probe (symbol text PRIMARY KEY, price decimal)`,
        );
        await client.execute(
          `INSERT INTO ${keyspace}.probe (symbol, price) VALUES (?, ?)`,
          ["AAPL", "189.123456"],
          {
            prepare: true,
          },
        );
        const row = (
          await client.execute(`SELECT price FROM ${keyspace}.probe WHERE symbol = ?`, ["AAPL"])
        ).first();
        expect(row?.get("price").toString()).toBe("189.123456");
      } finally {
        await client.shutdown();
      }
    });
  });

  test("librdkafka (in a Node process) round-trips messages through the real broker", async () => {
    const topic = `${prefix}rdkafka`;
    await createTopics([{ name: topic, partitions: 3 }]);
    const run = spawnSync(
      "node",
      [resolve(repoRoot, "libs/kafka-node/scripts/roundtrip.mjs"), topic, "200"],
      {
        cwd: resolve(repoRoot, "libs/kafka-node"),
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(report.librdkafka).toStartWith("2.");
    expect(report.features).toEqual(expect.arrayContaining(["lz4", "zstd", "ssl"]));
    expect(report).toMatchObject({ delivered: 200, received: 200, distinctReceived: 200 });
    const onTopic = await readTopic(topic);
    expect(onTopic.length).toBe(200);
  });
});

describe("stack CLI", () => {
  test("a server that does not answer in time is reported with the last lines of its log", async () => {
    const name = uniqueId("never-ready");
    mkdirSync(dirname(logFile(name)), { recursive: true });
    writeFileSync(logFile(name), "starting\nERROR something specific went wrong\n");
    try {
      const error = await waitUntilReady(
        name,
        () => Promise.reject(new Error("connection refused")),
        {
          timeoutMs: 1_000,
          alive: () => true,
        },
      ).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(StackError);
      expect((error as Error).message).toContain("did not answer within 1 s (connection refused)");
      expect((error as Error).message).toContain("ERROR something specific went wrong");
    } finally {
      rmSync(logFile(name), { force: true });
    }
  });

  test("a server that exits while starting is started again, up to its startAttempts", async () => {
    const place = {
      runDir: join(tmpdir(), uniqueId("run")),
      logDir: join(tmpdir(), uniqueId("logs")),
    };
    const name = "flaky";
    let starts = 0;
    // The first process exits at once, as the registry does when its first Cassandra session fails;
    // the second stays up, and its probe answers.
    const flaky = (startAttempts: number): Server => ({
      name,
      ports: [],
      endpoint: "-",
      readyTimeoutMs: 10_000,
      stopGraceMs: 1_000,
      startAttempts,
      install: async () => {},
      async start() {
        starts++;
        startDetached({
          name,
          command: "sh",
          args: ["-c", starts === 1 ? "echo 'no connections were made'; exit 1" : "exec sleep 30"],
          version: "test",
          place,
        });
      },
      probe: async () => {
        if (starts < 2) throw new Error("connection refused");
        return "test";
      },
    });
    const topology = (s: Server): Topology => ({
      name: "test",
      servers: [s],
      dependsOn: {},
      place,
    });
    try {
      const once = await upTopology(topology(flaky(1))).catch((e: unknown) => e);
      expect(once).toBeInstanceOf(StackError);
      expect((once as Error).message).toContain("flaky exited while starting");
      expect((once as Error).message).toContain("no connections were made");
      expect(starts).toBe(1);

      starts = 0;
      const [status] = await upTopology(topology(flaky(3)));
      expect(starts).toBe(2);
      expect(status).toMatchObject({ name, up: true, version: "test" });
      expect(runningRecord(name, place)?.pid).toBe(status?.pid);
    } finally {
      await downTopology(topology(flaky(1)));
      rmSync(place.runDir, { recursive: true, force: true });
      rmSync(place.logDir, { recursive: true, force: true });
    }
  });

  test("down does not wait for a stopped server its blocked parent has not reaped (a zombie)", async () => {
    // The server's parent never calls wait(), like `bun run test` blocked in spawnSync.
    const pidFile = join(tmpdir(), `${uniqueId("zombie")}.pid`);
    const parent = Bun.spawn(["sh", "-c", `sleep 60 & echo $! > ${pidFile}; exec sleep 60`]);
    const name = uniqueId("zombie");
    try {
      const pid = await eventually(() => Number(readFileSync(pidFile, "utf8").trim()) || undefined);
      recordStarted(name, pid, "test");
      expect(runningRecord(name)?.pid).toBe(pid);
      const started = Date.now();
      const stopped = await stopRecorded(name, 5_000);
      expect(stopped).toMatchObject({ pid, killed: false });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(readFileSync(`/proc/${pid}/stat`, "utf8")).toContain(") Z ");
    } finally {
      parent.kill("SIGKILL");
      rmSync(pidFile, { force: true });
    }
  });

  test("a taken port is named in the error", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await assertPortsFree("kafka", [port]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StackError);
      expect((error as Error).message).toContain(`port ${port}`);
    } finally {
      server.close();
    }
  });

  test("status reports every component with its version", () => {
    const run = spawnSync("bun", ["run", "stack", "status"], { cwd: repoRoot, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/kafka\s+up\s+127\.0\.0\.1:9092 4\.\d+\.\d+/);
    expect(run.stdout).toMatch(/cassandra\s+up\s+127\.0\.0\.1:9042 5\.0\.\d+/);
    expect(run.stdout).toMatch(/registry\s+up\s+http:\/\/127\.0\.0\.1:8081/);
    expect(run.stdout).toMatch(/prometheus\s+up\s+http:\/\/127\.0\.0\.1:9090 2\.\d+\.\d+/);
  });

  test("up on a running stack changes nothing: same processes, exit 0", () => {
    const pids = (text: string) => [...text.matchAll(/\(pid (\d+)\)/g)].map((m) => m[1]);
    const before = spawnSync("bun", ["run", "stack", "status"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    const again = spawnSync("bun", ["run", "stack", "up"], { cwd: repoRoot, encoding: "utf8" });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("stack up in");
    expect(pids(again.stdout)).toEqual(pids(before.stdout));
    expect(pids(before.stdout)).toHaveLength(4);
  }, 60_000);

  test("logs prints a component's own log, and an unknown component is named", () => {
    const kafkaLog = spawnSync("bun", ["run", "stack", "logs", "kafka"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(kafkaLog.status).toBe(0);
    expect(kafkaLog.stdout).toMatch(/INFO .*\(org\.apache\.kafka|kafka\./);
    const unknown = spawnSync("bun", ["run", "stack", "logs", "zookeeper"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown component "zookeeper"');
  });

  test("an unknown command prints usage and exits 2", () => {
    const run = spawnSync("bun", ["libs/stack/src/cli.ts", "launch"], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown command "launch"');
  });
});
