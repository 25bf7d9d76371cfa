/**
 * The shared setup of the producer's real-stack tests: the producer spawned as users run it
 * against isolated topics and subjects, and request helpers.
 */

import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions, topics } from "@repo/contracts";
import {
  brokers,
  buildApp,
  dropIsolated,
  freePort,
  provisionTopics,
  type Relay,
  type RunningService,
  registryRequest,
  stackEnv,
  startRelay,
  startService,
  uniqueId,
} from "@repo/testkit";

/** Builds `dist/` once per test run, as users get it from `bun run build`. */
export const buildProducer = () => buildApp("producer");

/**
 * Registers `${prefix}<topic>-value` for every declared Avro topic without creating the topics, so
 * records wait in librdkafka for a topic that never appears (a Kafka that does not acknowledge).
 */
export async function registerSubjectsOnly(prefix: string): Promise<void> {
  for (const topic of topics) {
    if (topic.value === "bytes") continue;
    await registryRequest("POST", `/subjects/${prefix}${topic.name}-value/versions`, {
      schema: JSON.stringify(topic.value.schema),
    });
  }
}

/**
 * A producer on its own topics (`prefix`, from `name`), its dist built (once per process) and
 * spawned on Node; resolves once
 * it answers `waitFor` (default `/readyz`; `healthz` for one that cannot be ready yet).
 */
export async function isolatedProducer(
  env: Record<string, string> = {},
  options: { name?: string; waitFor?: "healthz" | "readyz" } = {},
): Promise<{ prefix: string; producer: RunningService }> {
  await buildProducer();
  const prefix = `${uniqueId(options.name ?? "prod")}.`;
  await provisionTopics(prefix);
  const producer = await startService(
    "producer",
    { TOPIC_PREFIX: prefix, ...env },
    { waitFor: options.waitFor ?? "readyz" },
  );
  return { prefix, producer };
}

/** A producer that reaches Kafka or the registry only through a loopback relay the test controls. */
export interface RelayedProducer {
  prefix: string;
  producer: RunningService;
  /** Starts relaying to the shared Kafka or registry: the producer can reach it (again). */
  open(): Promise<void>;
  /** Stops relaying and cuts open connections: the producer's upstream is gone. */
  cut(): Promise<void>;
  /** Stops the producer and the relay, and deletes the producer's topics and subjects. */
  close(): Promise<void>;
}

/**
 * An {@link isolatedProducer} whose `upstream` address is a relay on a free loopback port, open
 * from the start when `open` is set (else the upstream is unreachable until `open()`), so a test
 * takes it away and brings it back without stopping the shared stack.
 *
 * @example
 *   const late = await relayedProducer("kafka", { open: false, name: "prod_late", waitFor: "healthz" });
 *   await late.open();
 */
export async function relayedProducer(
  upstream: "kafka" | "registry",
  options: {
    open: boolean;
    name: string;
    env?: Record<string, string>;
    waitFor?: "healthz" | "readyz";
  },
): Promise<RelayedProducer> {
  const port = await freePort();
  const target =
    upstream === "kafka"
      ? Number((brokers[0] ?? "").split(":")[1])
      : Number(new URL(stackEnv.SCHEMA_REGISTRY_URL).port);
  let relay: Relay | undefined;
  const open = async () => {
    relay = await startRelay(port, target);
  };
  const cut = async () => {
    await relay?.close();
    relay = undefined;
  };
  if (options.open) await open();
  const address: Record<string, string> =
    upstream === "kafka"
      ? { KAFKA_BROKERS: `127.0.0.1:${port}` }
      : { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` };
  const { prefix, producer } = await isolatedProducer(
    { ...address, ...options.env },
    { name: options.name, ...(options.waitFor ? { waitFor: options.waitFor } : {}) },
  ).catch(async (error) => {
    await cut();
    throw error;
  });
  return {
    prefix,
    producer,
    open,
    cut,
    async close() {
      await producer.stop();
      await cut();
      await dropIsolated({ prefix });
    },
  };
}

export const registry = new SchemaRegistry(
  { host: stackEnv.SCHEMA_REGISTRY_URL },
  { [SchemaType.AVRO]: avroOptions },
);

const baseMicros = Date.UTC(2026, 0, 5, 14, 30) * 1000;

/** The JSON form of a valid trade tick; `sequence` also spreads the event time and price. */
export function tickJson(symbol: string, sequence: number): Record<string, unknown> {
  const eventMicros = baseMicros + sequence * 1_000 + 7;
  return {
    source: "simulator",
    symbol,
    kind: "TRADE",
    eventTime: isoMicros(eventMicros),
    sequence,
    price: `${100 + (sequence % 50)}.${String(sequence % 1_000_000).padStart(6, "0")}`,
    size: 1 + (sequence % 500),
    exchange: "XNAS",
    ingestTime: isoMicros(eventMicros + 250),
  };
}

function isoMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  return new Date(millis).toISOString().replace("Z", `${String(micros % 1000).padStart(3, "0")}Z`);
}

/** What the producer answers: offsets on success, an error otherwise. */
export interface ResponseJson {
  offsets?: { partition: number; offset: string }[];
  error?: {
    code: string;
    message: string;
    records?: { index: number; path: string; message: string }[];
  } & Record<string, unknown>;
  unparsable?: string;
}

/** POSTs records to the producer and returns status, headers and parsed JSON body. */
export async function postRecords(
  producer: RunningService,
  topic: string,
  body: unknown,
  raw?: string,
) {
  const response = await fetch(`${producer.url}/v1/topics/${topic}/records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  let json: ResponseJson;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsable: text };
  }
  return { status: response.status, headers: response.headers, json };
}
