/**
 * The one error vocabulary of the pipeline: every error says whether retrying can help.
 * Retry loops and the dead-letter path decide from {@link isRetriable}, never from a message.
 */
export class PipelineError extends Error {
  override name = "PipelineError";
  /** Whether the same operation may succeed later (a lost connection) or never will (bad data). */
  readonly retriable: boolean;
  /** The other side said when to come back (Retry-After, a rate-limit reset): wait at least this long. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { retriable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * An HTTP answer that is not a success. Retriable when the server may answer differently later
 * (408, 429, 5xx) unless told otherwise; a redirect not followed or another 4xx is final.
 *
 * @example
 *   throw new HttpStatusError("alpaca answered HTTP 429", { status: 429, retryAfterMs: 2_000 });
 */
export class HttpStatusError extends PipelineError {
  override name = "HttpStatusError";
  /** The HTTP status, when the server answered one. */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { status?: number; retriable?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    const { status } = options;
    const transient = status !== undefined && (status >= 500 || status === 408 || status === 429);
    super(message, { ...options, retriable: options.retriable ?? transient });
    this.status = status;
  }
}

/**
 * The configuration (environment, a file it names) is invalid: retrying with it cannot help, the
 * service stops at start-up. Its message names every bad setting.
 *
 * @example
 *   throw new ConfigError("PORT: expected a number, got \"http\"");
 */
export class ConfigError extends PipelineError {
  override name = "ConfigError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retriable: false, cause: options.cause });
  }
}

/**
 * The data itself cannot be encoded, validated or stored: retrying cannot help, so the records
 * behind it are dead-lettered (or refused) and their neighbours go on.
 *
 * @example
 *   throw new DataError("bar volume 18014398509481980 exceeds a long", { code: "bar_out_of_range" });
 */
export class DataError extends PipelineError {
  override name = "DataError";
  /** A stable reason code for dead-letter headers and `/stats`. */
  readonly code: string;

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { retriable: false, cause: options.cause });
    this.code = options.code;
  }
}

/**
 * Whether retrying may fix `error`. Errors outside this vocabulary (sockets, timeouts, driver
 * errors not classified at an edge) count as transient.
 *
 * @example
 *   if (!isRetriable(error)) deadLetter(records, error);
 */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof PipelineError) || error.retriable;
}

/**
 * How long the other side asked us to wait before retrying `error`, if it said.
 *
 * @example
 *   await sleep(retryAfter(error) ?? backoffDelay(attempt));
 */
export function retryAfter(error: unknown): number | undefined {
  return error instanceof PipelineError ? error.retryAfterMs : undefined;
}

/**
 * A server refused our credentials, or we refused its certificate (unknown user, wrong password,
 * untrusted CA, a name the certificate does not carry). Retrying with the same configuration cannot
 * help: services stop at start-up with this message, which names the server and the setting and
 * never a secret.
 *
 * @example
 *   throw new AccessError("kafka", "SASL authentication failed (SCRAM-SHA-256, user alice)");
 */
export class AccessError extends PipelineError {
  override name = "AccessError";

  constructor(
    readonly server: "kafka" | "cassandra" | "schema registry",
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${server} refused access: ${message}`, { retriable: false, cause: options.cause });
  }
}
