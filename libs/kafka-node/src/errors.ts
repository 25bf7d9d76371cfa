/**
 * Errors `@repo/kafka-node` throws, importable without loading librdkafka, so callers can
 * `instanceof`-check them (and tests can throw them from fakes).
 *
 * @example
 *   import { ProduceError } from "@repo/kafka-node/errors";
 *   if (error instanceof ProduceError && error.reason === "queue_full") …
 */
/** Why a batch did not reach Kafka: the local queue refused it, or Kafka did not acknowledge in time. */
export class ProduceError extends Error {
  override name = "ProduceError";
  constructor(
    readonly reason: "queue_full" | "timeout" | "failed" | "not_connected",
    message: string,
    /** Records of the batch that Kafka did acknowledge before the failure. */
    readonly delivered = 0,
  ) {
    super(message);
  }
}
