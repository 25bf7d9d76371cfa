import { PipelineError } from "@repo/platform/errors";

/**
 * Errors `@repo/kafka-node` throws, importable without loading librdkafka, so callers can
 * `instanceof`-check them (and tests can throw them from fakes).
 *
 * @example
 *   import { ProduceError } from "@repo/kafka-node/errors";
 *   if (error instanceof ProduceError && error.reason === "queue_full") …
 */
export type ProduceFailure = "queue_full" | "timeout" | "failed" | "not_connected" | "too_large";

/**
 * Why a batch did not reach Kafka: the local queue refused it, Kafka did not acknowledge in time,
 * or a record is larger than the client or the broker accepts (`too_large`, the only reason that
 * retrying cannot fix).
 */
export class ProduceError extends PipelineError {
  override name = "ProduceError";
  constructor(
    readonly reason: ProduceFailure,
    message: string,
    /** Records of the batch that Kafka did acknowledge before the failure. */
    readonly delivered = 0,
  ) {
    super(message, { retriable: reason !== "too_large" });
  }
}
