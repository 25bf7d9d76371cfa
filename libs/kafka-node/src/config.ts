import { AccessError } from "@repo/platform/errors";
import type { KafkaSecurity } from "@repo/platform/security";

export type { KafkaSecurity };

/**
 * librdkafka client properties shared by every Node service: brokers, client id, reconnect backoff
 * and, when given, SASL/TLS. The password goes to librdkafka only; it is never logged.
 *
 * @example
 *   baseKafkaConfig(["k1:9093"], "producer", { protocol: "SASL_SSL",
 *     sasl: { mechanism: "SCRAM-SHA-512", username: "producer", password }, caFile: "/etc/ca.pem" });
 */
export function baseKafkaConfig(
  brokers: string[],
  clientId: string,
  security?: KafkaSecurity,
): Record<string, string | number | boolean> {
  const config: Record<string, string | number | boolean> = {
    "bootstrap.servers": brokers.join(","),
    "client.id": clientId,
    "socket.keepalive.enable": true,
    "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 10_000,
  };
  if (!security) return config;
  config["security.protocol"] = security.protocol.toLowerCase();
  if (security.sasl) {
    config["sasl.mechanisms"] = security.sasl.mechanism;
    config["sasl.username"] = security.sasl.username;
    config["sasl.password"] = security.sasl.password;
  }
  if (security.caFile) config["ssl.ca.location"] = security.caFile;
  return config;
}

/** librdkafka's local codes for a refused SASL handshake and a failed TLS handshake. */
const ERR__AUTHENTICATION = -169;
const ERR__SSL = -181;

/**
 * librdkafka's log line for a refused SASL handshake or a failed TLS handshake. Before a client
 * polls (that is, while `connect` is still waiting for metadata) the refusal reaches us only as a
 * `FAIL` log line, the error callback staying silent, so this is where it is recognised.
 */
const REFUSAL_LOG = /SASL authentication error|SSL handshake failed|certificate verify failed/;

/**
 * Watches a client's error events and log lines for refusals that retrying cannot fix (SASL
 * credentials, TLS certificates), so a failed connect can say why instead of "transport failure".
 *
 * @example
 *   const refusals = watchRefusals(security);
 *   client.on("event.error", refusals.observe); client.on("event.log", refusals.observeLog);
 *   // in connect's error callback: reject(refusals.explain() ?? error)
 */
export function watchRefusals(security: KafkaSecurity | undefined) {
  let refusal: { code: number; message: string } | undefined;
  return {
    observe(error: { code: number; message: string }) {
      if (error.code === ERR__AUTHENTICATION || error.code === ERR__SSL) refusal = error;
    },
    observeLog(line: { severity: number; fac: string; message: string }) {
      if (line.severity > 3 || line.fac !== "FAIL" || !REFUSAL_LOG.test(line.message)) return;
      const message = line.message.replace(/^\[thrd:[^\]]*\]: /, "");
      refusal = { code: /SASL/.test(message) ? ERR__AUTHENTICATION : ERR__SSL, message };
    },
    /** An {@link AccessError} naming the refusal seen since the last call, if any. */
    explain(): AccessError | undefined {
      const seen = refusal;
      refusal = undefined;
      if (!seen) return undefined;
      const who = security?.sasl
        ? ` (KAFKA_SASL_MECHANISM=${security.sasl.mechanism}, KAFKA_SASL_USERNAME=${security.sasl.username})`
        : "";
      const setting =
        seen.code === ERR__SSL
          ? "check KAFKA_SSL_CA_FILE and that the brokers' certificates name the hosts in KAFKA_BROKERS"
          : `check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD${who}`;
      return new AccessError("kafka", `${seen.message}; ${setting}`);
    },
  };
}
