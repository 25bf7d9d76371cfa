import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { freePort } from "@repo/testkit";
import { clusterId, kafkaAnswers, prepareKafka, type ScramUser } from "../components/kafka.ts";
import { type ScratchServer, scratchDir, startScratch } from "./server.ts";

export type { ScramUser };

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
  const dir = scratchDir("kafka");
  const voter = { id: 1, controllerPort: await freePort() };
  const port = await freePort();
  const broker: ScramUser = { name: "broker", password: randomBytes(12).toString("hex") };
  const command = await prepareKafka(
    {
      ...voter,
      port,
      quorum: [voter],
      conf: dir,
      logDirs: join(dir, "data"),
      heap: options.heap ?? "384m",
      replication: 1,
      offsetsPartitions: 3,
      sasl: { broker },
    },
    { clusterId: clusterId(), scram: [broker, ...options.users] },
  );
  const brokers = [`127.0.0.1:${port}`];
  const server = await startScratch({
    name: "kafka",
    dir,
    ...command,
    ready: () =>
      kafkaAnswers({ bootstrap: `127.0.0.1:${port}`, nodeId: 1, sasl: broker }).then(() => true),
    timeoutMs: 90_000,
  });
  return { ...server, brokers };
}
