import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { stackConfig } from "../config.ts";
import { resolveClasspath } from "../maven.ts";
import { confDir, dataDir } from "../paths.ts";
import { type Place, startDetached } from "../process.ts";
import { requireTool, runAsync } from "../tools.ts";
import { versions } from "../versions.ts";
import type { Component, Server } from "./types.ts";

/** A SCRAM user (`--add-scram` at format time). */
export interface ScramUser {
  name: string;
  password: string;
}

/** A KRaft voter: its `node.id` and controller port on 127.0.0.1. */
export interface KraftVoter {
  id: number;
  controllerPort: number;
}

/** One combined KRaft controller+broker: every Kafka we run (the stack's, the cluster's, a scratch one). */
export interface KraftNode extends KraftVoter {
  /** Client listener on 127.0.0.1. */
  port: number;
  /** The static quorum this node belongs to (itself alone for one node). */
  quorum: readonly KraftVoter[];
  /** Where server.properties and log4j2.yaml go, and the log dir. */
  conf: string;
  logDirs: string;
  heap: string;
  /** Replicas of new and internal topics; `min.insync.replicas` is min(2, this). */
  replication: number;
  /** Partitions of `__consumer_offsets` (default 10). */
  offsetsPartitions?: number;
  /** A SASL_PLAINTEXT (SCRAM) client listener, the broker talking to itself as `broker`. */
  sasl?: { broker: ScramUser };
  /** First line of server.properties (what generated it). */
  header?: string;
  /** Properties appended as they are (tuning, with their comments). */
  extra?: string;
}

/** The Kafka broker jars and the log4j2 binding its distribution ships, resolved with Maven once. */
export function kafkaLibs(): Promise<string> {
  return resolveClasspath(`kafka-${versions.kafka}`, [
    { group: "org.apache.kafka", artifact: "kafka_2.13", version: versions.kafka },
    { group: "org.apache.logging.log4j", artifact: "log4j-slf4j-impl", version: versions.log4j },
    { group: "org.apache.logging.log4j", artifact: "log4j-core", version: versions.log4j },
  ]);
}

/** JVM options of a Kafka node: a fixed heap, G1 with short pauses, `conf`/log4j2.yaml, `classpath`. */
function kafkaJvm(heap: string, conf: string, classpath: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${join(conf, "log4j2.yaml")}`,
    "-cp",
    classpath,
  ];
}

/**
 * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what `random-uuid` prints).
 * Like Kafka's own, it never begins with `-`, which `kafka-storage format -t` would read as an
 * option (1 id in 64 did, and failed `stack up`).
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/**
 * Writes the node's configuration and formats its log dir on first use (with `clusterId`, and the
 * SCRAM users in `scram`), then returns the command line that runs it.
 */
export async function prepareKafka(
  node: KraftNode,
  options: { clusterId: string; scram?: readonly ScramUser[] },
): Promise<{ command: string; args: string[] }> {
  const java = requireTool("java");
  mkdirSync(node.conf, { recursive: true });
  mkdirSync(node.logDirs, { recursive: true });
  const properties = join(node.conf, "server.properties");
  writeFileSync(properties, kraftProperties(node));
  writeFileSync(join(node.conf, "log4j2.yaml"), log4jConfig);
  const jvm = kafkaJvm(node.heap, node.conf, `${await kafkaLibs()}/*`);
  if (!existsSync(join(node.logDirs, "meta.properties"))) {
    const scram = (options.scram ?? []).flatMap((user) =>
      ["SCRAM-SHA-256", "SCRAM-SHA-512"].flatMap((mechanism) => [
        "--add-scram",
        `${mechanism}=[name=${user.name},password=${user.password}]`,
      ]),
    );
    await runAsync(java, [
      ...jvm,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      options.clusterId,
      "-c",
      properties,
      ...scram,
    ]);
  }
  return { command: java, args: [...jvm, "kafka.Kafka", properties] };
}

/**
 * Resolves once the node at `bootstrap` serves metadata, is registered (unfenced) as `nodeId` and a
 * controller leads; throws while not.
 */
export async function kafkaAnswers(options: {
  bootstrap: string;
  nodeId: number;
  sasl?: ScramUser;
}): Promise<void> {
  const { sasl } = options;
  const admin = new Admin({
    clientId: "marketpipe-stack",
    bootstrapBrokers: [options.bootstrap],
    retries: 0,
    connectTimeout: 2000,
    requestTimeout: 3000,
    ...(sasl
      ? { sasl: { mechanism: "SCRAM-SHA-256", username: sasl.name, password: sasl.password } }
      : {}),
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    if (metadata.controllerId < 0) throw new Error("no active controller yet");
    if (!metadata.brokers.has(options.nodeId))
      throw new Error(`broker ${options.nodeId} is not registered with the controller yet`);
  } finally {
    await admin.close().catch(() => {});
  }
}

/**
 * A Kafka node the stack runs detached (pid file, log under `place`): the single-node stack's one
 * node, or a node of the cluster. Its log dir is formatted once with `clusterId()`.
 */
export function kafkaServer(
  node: KraftNode,
  options: {
    name: string;
    place?: Place;
    clusterId: () => string;
    stopGraceMs: number;
    summary?: string;
  },
): Server {
  return {
    name: options.name,
    ports: [node.port, node.controllerPort],
    endpoint: `127.0.0.1:${node.port}`,
    ...(options.summary ? { summary: options.summary } : {}),
    readyTimeoutMs: 90_000,
    stopGraceMs: options.stopGraceMs,
    install: () => kafkaLibs().then(() => {}),
    async start() {
      const started = await prepareKafka(node, { clusterId: options.clusterId() });
      startDetached({
        name: options.name,
        ...started,
        version: versions.kafka,
        ...(options.place ? { place: options.place } : {}),
      });
    },
    probe: () =>
      kafkaAnswers({ bootstrap: `127.0.0.1:${node.port}`, nodeId: node.id }).then(
        () => versions.kafka,
      ),
  };
}

/** A KRaft combined node's server.properties. */
export function kraftProperties(node: KraftNode): string {
  const r = node.replication;
  const isr = Math.min(2, r);
  const protocol = node.sasl ? "SASL_PLAINTEXT" : "PLAINTEXT";
  const voters = node.quorum.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(",");
  const jaas = node.sasl
    ? `org.apache.kafka.common.security.scram.ScramLoginModule required username="${node.sasl.broker.name}" password="${node.sasl.broker.password}";`
    : "";
  const sasl = node.sasl
    ? `sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${jaas}
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}
`
    : "";
  return `${node.header ?? "# Generated; edits are overwritten."}
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=${protocol}://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=${protocol}://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=${protocol}
listener.security.protocol.map=${protocol}:${protocol},CONTROLLER:PLAINTEXT
${sasl}log.dirs=${node.logDirs}
# Topics are declared and created by \`bun run schemas:push\`, never implicitly.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=${r}
min.insync.replicas=${isr}
offsets.topic.replication.factor=${r}
offsets.topic.num.partitions=${node.offsetsPartitions ?? 10}
transaction.state.log.replication.factor=${r}
transaction.state.log.min.isr=${isr}
share.coordinator.state.topic.replication.factor=${r}
share.coordinator.state.topic.min.isr=${isr}
group.initial.rebalance.delay.ms=0
log.retention.hours=168
${node.extra ?? ""}`;
}

/** Kafka's log4j2 configuration: INFO to stdout, request logging quiet. */
const log4jConfig = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: INFO
`;

const single = {
  id: 1,
  port: stackConfig.STACK_KAFKA_PORT,
  controllerPort: stackConfig.STACK_KAFKA_CONTROLLER_PORT,
};

/** Apache Kafka 4.x, one combined broker+controller node in KRaft mode. */
export const kafka: Component = {
  ...kafkaServer(
    {
      ...single,
      quorum: [single],
      conf: join(confDir, "kafka"),
      logDirs: join(dataDir, "kafka"),
      heap: stackConfig.STACK_KAFKA_HEAP,
      replication: 1,
      header: "# Generated by `bun run stack up`; edits are overwritten.",
    },
    { name: "kafka", clusterId, stopGraceMs: 30_000 },
  ),
  name: "kafka",
};
