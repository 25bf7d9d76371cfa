/**
 * librdkafka client properties shared by every Node service: brokers from KAFKA_BROKERS and, when
 * set, SASL/TLS from KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME,
 * KAFKA_SASL_PASSWORD (never logged).
 */
export function baseKafkaConfig(
  brokers: string[],
  clientId: string,
): Record<string, string | number | boolean> {
  const config: Record<string, string | number | boolean> = {
    "bootstrap.servers": brokers.join(","),
    "client.id": clientId,
    "socket.keepalive.enable": true,
    "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 10_000,
  };
  const env = process.env;
  if (env.KAFKA_SECURITY_PROTOCOL) config["security.protocol"] = env.KAFKA_SECURITY_PROTOCOL;
  if (env.KAFKA_SASL_MECHANISM) config["sasl.mechanisms"] = env.KAFKA_SASL_MECHANISM;
  if (env.KAFKA_SASL_USERNAME) config["sasl.username"] = env.KAFKA_SASL_USERNAME;
  if (env.KAFKA_SASL_PASSWORD) config["sasl.password"] = env.KAFKA_SASL_PASSWORD;
  return config;
}
