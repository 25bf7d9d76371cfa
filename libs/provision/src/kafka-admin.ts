import { readFileSync } from "node:fs";
import { Admin, type ConnectionOptions } from "@platformatic/kafka";
import type { TopicSpec } from "@repo/contracts";
import type { KafkaSecurity } from "@repo/platform/security";

/** What the cluster says about an existing topic. */
export interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
}

/** Kafka admin operations of `schemas:push`, over the pure-JS client (safe under Bun). */
export class TopicAdmin {
  private readonly admin: Admin;

  constructor(
    readonly brokers: string[],
    private readonly timeoutMs = 8000,
    security?: KafkaSecurity,
  ) {
    this.admin = new Admin({
      clientId: "marketpipe-schemas-push",
      bootstrapBrokers: brokers,
      retries: 0,
      connectTimeout: 3000,
      requestTimeout: 5000,
      ...platformaticSecurity(security),
    });
  }

  private async guard<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      throw new Error(`Kafka at ${this.brokers.join(",")} failed to ${what}: ${causeOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Partition count and replication of those of `names` that exist. */
  async describe(names: readonly string[]): Promise<Map<string, ExistingTopic>> {
    const all = await this.guard("list topics", this.admin.listTopics());
    const wanted = names.filter((name) => all.includes(name));
    const found = new Map<string, ExistingTopic>();
    if (wanted.length === 0) return found;
    const metadata = await this.guard(
      "describe topics",
      this.admin.metadata({ topics: wanted, forceUpdate: true }),
    );
    for (const [name, topic] of metadata.topics) {
      const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
      found.set(name, { partitions: topic.partitionsCount, replicationFactor });
    }
    return found;
  }

  /** Creates a topic with its declared partitions, replication and configuration. */
  async create(topic: TopicSpec): Promise<void> {
    const configs = Object.entries(topic.config).map(([name, value]) => ({ name, value }));
    await this.guard(
      `create topic ${topic.name}`,
      this.admin.createTopics({
        topics: [topic.name],
        partitions: topic.partitions,
        replicas: topic.replicationFactor,
        configs,
      }),
    );
  }

  /** Deletes topics; for tests that create throwaway topics. */
  async delete(names: string[]): Promise<void> {
    await this.guard("delete topics", this.admin.deleteTopics({ topics: names }));
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => {});
  }
}

/**
 * SASL and TLS options of the pure-JS client for `kafkaSecurity(config)`: TLS for `SSL` and
 * `SASL_SSL` (the CA file, else the system's CAs, and the broker's name checked), SASL for `SASL_*`.
 *
 * @example
 *   new Admin({ clientId, bootstrapBrokers, ...platformaticSecurity(kafkaSecurity(config)) });
 */
export function platformaticSecurity(
  security: KafkaSecurity | undefined,
): Pick<ConnectionOptions, "sasl" | "tls"> {
  if (!security) return {};
  const options: Pick<ConnectionOptions, "sasl" | "tls"> = {};
  if (security.protocol.endsWith("SSL"))
    options.tls = security.caFile ? { ca: readFileSync(security.caFile) } : {};
  if (security.sasl) options.sasl = { ...security.sasl };
  return options;
}

/** The message of an error and of its causes, e.g. `connect ECONNREFUSED 127.0.0.1:9092`. */
function causeOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && parts.length < 4) {
    parts.push(current.message);
    current = current.cause ?? (current as { errors?: unknown[] }).errors?.[0];
  }
  return parts.length > 0 ? parts.join(": ") : String(error);
}
