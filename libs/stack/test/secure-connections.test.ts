/**
 * The pipeline over authenticated, encrypted connections, against real servers started for this
 * file only (the shared stack is never touched): a KRaft Kafka whose only listener is
 * SASL_PLAINTEXT with SCRAM users, and a Cassandra whose native transport is TLS-only with client
 * certificates from a throwaway CA and PasswordAuthenticator, and a Schema Registry serving TLS
 * with basic auth. Wrong credentials must fail at start-up with a message naming the setting, never
 * the secret.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { connectCassandra, createCassandraClient } from "@repo/cassandra";
import {
  buildApp,
  describeServices,
  eventually,
  freePort,
  type RunningService,
  runCommand,
  stackEnv,
  startService,
  uniqueId,
} from "@repo/testkit";
import { type ScratchCassandra, startScratchCassandra } from "../src/scratch/cassandra.ts";
import { makeThrowawayPki } from "../src/scratch/certificates.ts";
import { type ScratchKafka, startScratchKafka } from "../src/scratch/kafka.ts";
import { type ScratchRegistry, startScratchRegistry } from "../src/scratch/registry.ts";
import { scratchDir } from "../src/scratch/server.ts";

const repoRoot = resolve(import.meta.dir, "../../..");
const alice = { name: "alice", password: `alice-${randomBytes(9).toString("hex")}` };
const pipelineRole = { name: "pipeline", password: `pipe-${randomBytes(9).toString("hex")}` };
const registryUser = { name: "pipeline", password: `reg-${randomBytes(9).toString("hex")}` };
const producerToken = `ingest-${randomBytes(16).toString("hex")}`;
const prefix = `${uniqueId("secure")}.`;

let kafka: ScratchKafka;
let cassandra: ScratchCassandra;
let registry: ScratchRegistry;
const services: RunningService[] = [];
const otherCaDirs: string[] = [];

/** A CA nobody trusts, for certificate-refusal tests (deleted after the file). */
function otherCa() {
  const dir = scratchDir("other-ca");
  otherCaDirs.push(dir);
  return makeThrowawayPki(dir, "someone-else");
}

beforeAll(async () => {
  [kafka, cassandra] = await Promise.all([
    startScratchKafka({ users: [alice] }),
    startScratchCassandra({ user: pipelineRole }),
    buildApp("producer"),
    buildApp("consumer"),
  ]);
  registry = await startScratchRegistry({ pki: cassandra.pki, user: registryUser });
}, 300_000);

afterAll(async () => {
  for (const service of services) await service.stop();
  await Promise.all([kafka?.stop(), registry?.stop(), cassandra?.stop()]);
  for (const dir of otherCaDirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);

const registryEnv = (password = registryUser.password) => ({
  SCHEMA_REGISTRY_URL: registry.url,
  SCHEMA_REGISTRY_CA_FILE: cassandra.pki.caCert,
  SCHEMA_REGISTRY_USERNAME: registryUser.name,
  SCHEMA_REGISTRY_PASSWORD: password,
});

const scram = (mechanism = "SCRAM-SHA-256", password = alice.password) => ({
  KAFKA_BROKERS: kafka.brokers.join(","),
  KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
  KAFKA_SASL_MECHANISM: mechanism,
  KAFKA_SASL_USERNAME: alice.name,
  KAFKA_SASL_PASSWORD: password,
});

const tls = (overrides: Record<string, string> = {}) => ({
  CASSANDRA_CONTACT_POINTS: cassandra.contactPoint,
  CASSANDRA_LOCAL_DC: "datacenter1",
  CASSANDRA_KEYSPACE: "market",
  CASSANDRA_TLS: "true",
  CASSANDRA_TLS_CA_FILE: cassandra.pki.caCert,
  CASSANDRA_TLS_CERT_FILE: cassandra.pki.clientCert,
  CASSANDRA_TLS_KEY_FILE: cassandra.pki.clientKey,
  CASSANDRA_USERNAME: pipelineRole.name,
  CASSANDRA_PASSWORD: pipelineRole.password,
  ...overrides,
});

/** Runs a repository script (Bun) with `env` on top of the stack's; its exit code and output. */
const runScript = (args: string[], env: Record<string, string>) =>
  runCommand(["bun", ...args], { cwd: repoRoot, env: { ...stackEnv, ...env } });

/** Starts a Node service's built bundle and waits for it to exit on its own. */
async function exitOf(app: "producer" | "consumer", env: Record<string, string>) {
  return runCommand(["node", resolve(repoRoot, `apps/${app}/dist/main.js`)], {
    cwd: resolve(repoRoot, "apps", app),
    env: {
      ...stackEnv,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      TOPIC_PREFIX: prefix,
      CONSUMER_GROUP: `${prefix}refused`,
      ...env,
    },
    timeoutMs: 60_000,
  });
}

describe("Kafka over SASL/SCRAM", () => {
  test("schemas:push creates the declared topics with SCRAM-SHA-512 and registers the schemas over TLS with basic auth", async () => {
    const push = await runScript(["libs/provision/src/push-cli.ts", "--topic-prefix", prefix], {
      ...scram("SCRAM-SHA-512"),
      ...registryEnv(),
    });
    expect(push.output).toContain(`subject ${prefix}market.ticks-value: registered`);
    expect(push.output).toContain(`subject ${prefix}market.bars.1m-value: registered`);
    expect(push.output).toContain(`topic ${prefix}market.ticks: created`);
    expect(push.code).toBe(0);
  });

  test("a wrong password: schemas:push fails and the producer exits 2 naming the user, never the password", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const push = await runScript(
      ["libs/provision/src/push-cli.ts", "--topic-prefix", prefix, "--dry-run"],
      { ...scram("SCRAM-SHA-256", wrong), ...registryEnv() },
    );
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("SASL authentication failed");
    expect(push.output).not.toContain(wrong);
    const producer = await exitOf("producer", {
      ...scram("SCRAM-SHA-256", wrong),
      ...registryEnv(),
    });
    expect(producer.code).toBe(2);
    expect(producer.output).toContain("kafka refused access");
    expect(producer.output).toContain("KAFKA_SASL_USERNAME=alice");
    expect(producer.output).not.toContain(wrong);
  }, 90_000);
});

describe("the Schema Registry over TLS with basic auth", () => {
  test("a wrong registry password: schemas:push fails and the producer exits 2 naming the user, never the password", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const push = await runScript(
      ["libs/provision/src/push-cli.ts", "--topic-prefix", prefix, "--dry-run"],
      { ...scram(), ...registryEnv(wrong) },
    );
    expect(push.code).toBe(1);
    expect(push.output).toContain("HTTP 401");
    expect(push.output).not.toContain(wrong);
    const producer = await exitOf("producer", { ...scram(), ...registryEnv(wrong) });
    expect(producer.code).toBe(2);
    expect(producer.output).toContain("schema registry refused access");
    expect(producer.output).toContain("SCHEMA_REGISTRY_USERNAME (pipeline)");
    expect(producer.output).not.toContain(wrong);
  }, 90_000);

  test("a registry certificate from another CA stops the consumer, naming SCHEMA_REGISTRY_CA_FILE", async () => {
    const other = otherCa();
    const consumer = await exitOf("consumer", {
      ...scram(),
      ...tls(),
      ...registryEnv(),
      SCHEMA_REGISTRY_CA_FILE: other.caCert,
    });
    expect(consumer.code).toBe(2);
    expect(consumer.output).toContain("SCHEMA_REGISTRY_CA_FILE");
  }, 90_000);
});

describe("Cassandra over TLS with a client certificate and a password", () => {
  test("cql:migrate applies the migrations", async () => {
    const migrate = await runScript(["libs/cassandra/src/migrate-cli.ts"], tls());
    expect(migrate.output).toContain("market");
    expect(migrate.code).toBe(0);
  });

  test("a wrong password fails at start-up naming CASSANDRA_USERNAME, never the password", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const migrate = await runScript(
      ["libs/cassandra/src/migrate-cli.ts"],
      tls({ CASSANDRA_PASSWORD: wrong }),
    );
    expect(migrate.code).toBe(1);
    expect(migrate.output).toContain("cassandra refused access");
    expect(migrate.output).toContain("CASSANDRA_USERNAME (pipeline)");
    expect(migrate.output).not.toContain(wrong);
    const consumer = await exitOf("consumer", {
      ...scram(),
      ...tls({ CASSANDRA_PASSWORD: wrong }),
    });
    expect(consumer.code).toBe(2);
    expect(consumer.output).toContain("cassandra refused access");
    expect(consumer.output).not.toContain(wrong);
  }, 90_000);

  test("a node certificate from another CA is refused, naming CASSANDRA_TLS_CA_FILE", async () => {
    const other = otherCa();
    const migrate = await runScript(
      ["libs/cassandra/src/migrate-cli.ts"],
      tls({ CASSANDRA_TLS_CA_FILE: other.caCert }),
    );
    expect(migrate.code).toBe(1);
    expect(migrate.output).toContain("cassandra refused access");
    expect(migrate.output).toContain("CASSANDRA_TLS_CA_FILE");
  });

  test("without a client certificate the node refuses the handshake", async () => {
    const settings = {
      CASSANDRA_CONTACT_POINTS: [cassandra.contactPoint],
      CASSANDRA_LOCAL_DC: "datacenter1",
      CASSANDRA_TLS: true,
      CASSANDRA_TLS_CA_FILE: cassandra.pki.caCert,
      CASSANDRA_USERNAME: pipelineRole.name,
      CASSANDRA_PASSWORD: pipelineRole.password,
    };
    const client = createCassandraClient(settings);
    try {
      await expect(connectCassandra(client, settings)).rejects.toThrow("cassandra refused access");
    } finally {
      await client.shutdown();
    }
  });
});

describe("the whole pipeline through SCRAM Kafka, a TLS registry and TLS Cassandra", () => {
  test("ingest (bearer token) → producer → Kafka (SCRAM) → consumer → Cassandra (TLS, client certificate), schemas from a TLS registry with basic auth: every tick is stored once", async () => {
    const producer = await startService(
      "producer",
      {
        ...scram(),
        ...registryEnv(),
        TOPIC_PREFIX: prefix,
        PRODUCER_TOKENS: `ingest:${producerToken}`,
      },
      { waitFor: "readyz" },
    );
    services.push(producer);
    const consumer = await startService(
      "consumer",
      {
        ...scram("SCRAM-SHA-512"),
        ...tls(),
        ...registryEnv(),
        TOPIC_PREFIX: prefix,
        CONSUMER_GROUP: `${prefix}group`,
      },
      { waitFor: "readyz", timeoutMs: 90_000 },
    );
    services.push(consumer);
    const ingest = await startService("ingest", {
      PRODUCER_URL: producer.url,
      PRODUCER_TOKEN: producerToken,
      INGEST_PROVIDERS: "simulator",
      SIMULATOR_SYMBOLS: "AAPL,MSFT",
      SIMULATOR_RATE: "50",
      SIMULATOR_LIMIT: "200",
    });
    services.push(ingest);

    const total = await eventually(
      async () => {
        const stats = await ingest.json<{
          records: { fetched: number; forwarded: number };
          buffer: { size: number };
        }>("/stats");
        const settled = stats.records.fetched === 200 && stats.buffer.size === 0;
        return settled ? stats.records.forwarded : undefined;
      },
      {
        timeoutMs: 60_000,
        message: "ingest did not fetch all 200 simulated ticks and empty its buffer",
        diagnose: () => describeServices(services),
      },
    );
    expect(total).toBeGreaterThanOrEqual(150);

    const settings = {
      CASSANDRA_CONTACT_POINTS: [cassandra.contactPoint],
      CASSANDRA_LOCAL_DC: "datacenter1",
      CASSANDRA_TLS: true,
      CASSANDRA_TLS_CA_FILE: cassandra.pki.caCert,
      CASSANDRA_TLS_CERT_FILE: cassandra.pki.clientCert,
      CASSANDRA_TLS_KEY_FILE: cassandra.pki.clientKey,
      CASSANDRA_USERNAME: pipelineRole.name,
      CASSANDRA_PASSWORD: pipelineRole.password,
    };
    const client = createCassandraClient(settings, { keyspace: "market" });
    try {
      await connectCassandra(client, settings);
      await eventually(
        async () => {
          const rows = await client.execute("SELECT count(*) AS n FROM ticks");
          return Number(rows.first()?.get("n")) === total ? true : undefined;
        },
        {
          timeoutMs: 60_000,
          message: `Cassandra did not reach ${total} ticks`,
          diagnose: () => describeServices(services),
        },
      );
    } finally {
      await client.shutdown();
    }
    const producerStats = await producer.json<{
      auth: { requestsByToken: Record<string, number> };
    }>("/stats");
    expect(producerStats.auth.requestsByToken.ingest).toBeGreaterThan(0);
    const logs = services.map((service) => service.output()).join("\n");
    for (const secret of [
      alice.password,
      pipelineRole.password,
      registryUser.password,
      producerToken,
    ])
      expect(logs).not.toContain(secret);
  }, 180_000);
});
