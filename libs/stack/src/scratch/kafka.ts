import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import { clusterId, kafkaJvm, kafkaLibs, log4jConfig } from "../components/kafka.ts";
import { requireTool, run } from "../tools.ts";
import { freeLoopbackPort, type ScratchServer, scratchDir, startScratch } from "./server.ts";

export interface ScramUser {
  name: string;
  password: string;
}

export interface ScratchKafka extends ScratchServer {
  /** `127.0.0.1:<port>` of its SASL_PLAINTEXT listener. */
  brokers: string[];
}

/**
 * A one-node KRaft Kafka of the stack's version (its cached jars) whose only client listener is
 * SASL_PLAINTEXT with SCRAM-SHA-256 and SCRAM-SHA-512, on free loopback ports. The users exist from
 * the start (`kafka-storage format --add-scram`, KIP-900), each with both mechanisms; the broker
 * talks to itself as its own SCRAM user. Used by tests that prove SASL end to end without touching
 * the shared stack.
 *
 * @example
 *   const kafka = await startScratchKafka({ users: [{ name: "alice", password: "alice-pw" }] });
 *   // KAFKA_BROKERS=kafka.brokers, KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT, KAFKA_SASL_MECHANISM=SCRAM-SHA-256 …
 *   await kafka.stop();
 */
export async function startScratchKafka(options: {
  users: ScramUser[];
  heap?: string;
}): Promise<ScratchKafka> {
  const java = requireTool("java");
  const libs = await kafkaLibs();
  const dir = scratchDir("kafka");
  const [port, controllerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const broker: ScramUser = { name: "broker", password: randomBytes(12).toString("hex") };
  const properties = join(dir, "server.properties");
  writeFileSync(properties, serverProperties({ dir, port, controllerPort, broker }));
  writeFileSync(join(dir, "log4j2.yaml"), log4jConfig);
  const jvm = kafkaJvm(options.heap ?? "384m", dir, `${libs}/*`);
  const scram = [broker, ...options.users].flatMap((user) =>
    ["SCRAM-SHA-256", "SCRAM-SHA-512"].flatMap((mechanism) => [
      "--add-scram",
      `${mechanism}=[name=${user.name},password=${user.password}]`,
    ]),
  );
  run(java, [
    ...jvm,
    "kafka.tools.StorageTool",
    "format",
    "-t",
    clusterId(),
    "-c",
    properties,
    ...scram,
  ]);
  const brokers = [`127.0.0.1:${port}`];
  const server = await startScratch({
    name: "kafka",
    dir,
    command: java,
    args: [...jvm, "kafka.Kafka", properties],
    ready: () => answersMetadata(brokers, broker),
    timeoutMs: 90_000,
  });
  return { ...server, brokers };
}

async function answersMetadata(brokers: string[], user: ScramUser): Promise<boolean> {
  const admin = new Admin({
    clientId: "scratch-probe",
    bootstrapBrokers: brokers,
    retries: 0,
    connectTimeout: 2000,
    requestTimeout: 3000,
    sasl: { mechanism: "SCRAM-SHA-256", username: user.name, password: user.password },
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    return metadata.brokers.size > 0 && metadata.controllerId >= 0;
  } finally {
    await admin.close().catch(() => {});
  }
}

function serverProperties(options: {
  dir: string;
  port: number;
  controllerPort: number;
  broker: ScramUser;
}): string {
  const { port, controllerPort, broker } = options;
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${broker.name}" password="${broker.password}";`;
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=${jaas}
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}
log.dirs=${join(options.dir, "data")}
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`;
}
