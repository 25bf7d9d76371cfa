import { readFileSync } from "node:fs";
import {
  ConfigError,
  httpEnv,
  loadConfig,
  pipelineEnv,
  positiveInt,
  z,
} from "@repo/platform/config";
import { isLoopbackHost } from "@repo/platform/security";
import { registryClientEnv } from "@repo/registry";
import { type ProducerToken, parseTokens } from "./auth/tokens.ts";

/** Everything the producer reads from the environment, validated at start-up. */
export const producerEnv = {
  ...httpEnv(3002),
  ...pipelineEnv,
  ...registryClientEnv,
  PRODUCER_MAX_RECORDS: positiveInt(1000),
  /** librdkafka message.timeout.ms: past it an unacknowledged request answers 503. */
  DELIVERY_TIMEOUT_MS: positiveInt(30_000),
  /** Records waiting for Kafka's acknowledgement at once; requests beyond it answer 429. */
  PRODUCER_MAX_IN_FLIGHT: positiveInt(100_000),
  /** How long a looked-up schema id is trusted before it is refreshed (stale ids keep working if the registry is down). */
  SCHEMA_CACHE_TTL_MS: positiveInt(60_000),
  /** Upper bound for a graceful shutdown (flush included). */
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
  /** `name:token[:topic|topic…]`, comma-separated: who may write. Unset: loopback only. */
  PRODUCER_TOKENS: z.string().optional(),
  /** A file of the same entries, one per line (`#` comments); for secrets mounted as files. */
  PRODUCER_TOKENS_FILE: z.string().optional(),
};

export type ProducerConfig = ReturnType<typeof loadProducerConfig>;

/**
 * Reads and checks the producer's configuration.
 *
 * @example
 *   const config = loadProducerConfig({ TOPIC_PREFIX: "t1." });
 *   config.PORT; // 3002
 */
export function loadProducerConfig(env: Record<string, string | undefined> = process.env) {
  const { PRODUCER_TOKENS, PRODUCER_TOKENS_FILE, ...config } = loadConfig(producerEnv, env);
  const problems: string[] = [];
  if (config.PRODUCER_MAX_IN_FLIGHT < config.PRODUCER_MAX_RECORDS) {
    problems.push(
      `  PRODUCER_MAX_IN_FLIGHT (${config.PRODUCER_MAX_IN_FLIGHT}): must be at least PRODUCER_MAX_RECORDS (${config.PRODUCER_MAX_RECORDS})`,
    );
  }
  const tokens = loadTokens(PRODUCER_TOKENS, PRODUCER_TOKENS_FILE, problems);
  if (tokens.length === 0 && !isLoopbackHost(config.HOST)) {
    problems.push(
      `  PRODUCER_TOKENS (unset): required when HOST (${config.HOST}) is not a loopback address; without tokens anyone who reaches the port could write (or set PRODUCER_TOKENS_FILE)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  return { ...config, tokens };
}

/** The tokens of PRODUCER_TOKENS or PRODUCER_TOKENS_FILE (one of them); problems never show a token. */
function loadTokens(
  inline: string | undefined,
  file: string | undefined,
  problems: string[],
): ProducerToken[] {
  if (inline && file) {
    problems.push("  PRODUCER_TOKENS_FILE: set PRODUCER_TOKENS or PRODUCER_TOKENS_FILE, not both");
    return [];
  }
  let text = inline ?? "";
  const variable = file ? "PRODUCER_TOKENS_FILE" : "PRODUCER_TOKENS";
  if (file) {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      problems.push(
        `  PRODUCER_TOKENS_FILE (${JSON.stringify(file)}): cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
      return [];
    }
  }
  const { tokens, problems: invalid } = parseTokens(text);
  for (const problem of invalid) problems.push(`  ${variable} (<redacted>): ${problem}`);
  if (file && tokens.length === 0 && invalid.length === 0)
    problems.push(`  PRODUCER_TOKENS_FILE (${JSON.stringify(file)}): lists no token`);
  return tokens;
}
