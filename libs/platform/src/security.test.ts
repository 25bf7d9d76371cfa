import { describe, expect, test } from "bun:test";
import { cassandraEnv, kafkaEnv, loadConfig, registryEnv } from "./config.ts";
import { isLoopbackHost, kafkaSecurity, registryAccess } from "./security.ts";

const everything = { ...kafkaEnv, ...cassandraEnv, ...registryEnv };
const caFile = import.meta.path; // any readable file stands in for a PEM bundle here

/** The message of the ConfigError `loadConfig` throws for `env`. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(everything, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}

describe("connection security variables", () => {
  test("nothing set: plain text to the local stack, as `bun run dev` needs", () => {
    const config = loadConfig(everything, {});
    expect(kafkaSecurity(config)).toEqual({ protocol: "PLAINTEXT" });
    expect(config.CASSANDRA_TLS).toBe(false);
    expect(registryAccess(config)).toEqual({ url: "http://127.0.0.1:8081" });
  });

  test("SASL_SSL with SCRAM and a CA file becomes the settings the Kafka clients take", () => {
    const config = loadConfig(everything, {
      KAFKA_BROKERS: "k1.example:9093",
      KAFKA_SECURITY_PROTOCOL: "sasl_ssl",
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "producer",
      KAFKA_SASL_PASSWORD: "s3cret-pass",
      KAFKA_SSL_CA_FILE: caFile,
    });
    expect(kafkaSecurity(config)).toEqual({
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "producer", password: "s3cret-pass" },
      caFile,
    });
  });

  test("a SASL protocol without its mechanism and credentials names each missing variable", () => {
    const message = refusal({ KAFKA_SECURITY_PROTOCOL: "SASL_SSL" });
    for (const variable of ["KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"])
      expect(message).toContain(
        `${variable} (unset): required by KAFKA_SECURITY_PROTOCOL=SASL_SSL`,
      );
  });

  test("credentials that the protocol would ignore are refused, the password never shown", () => {
    const message = refusal({ KAFKA_SASL_USERNAME: "alice", KAFKA_SASL_PASSWORD: "hunter2-x" });
    expect(message).toContain("KAFKA_SASL_USERNAME");
    expect(message).toContain("KAFKA_SASL_PASSWORD (<redacted>)");
    expect(message).not.toContain("hunter2-x");
  });

  test("PLAIN over SASL_PLAINTEXT is refused for remote brokers and allowed on loopback", () => {
    const plain = {
      KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
      KAFKA_SASL_MECHANISM: "PLAIN",
      KAFKA_SASL_USERNAME: "u",
      KAFKA_SASL_PASSWORD: "p",
    };
    expect(refusal({ ...plain, KAFKA_BROKERS: "kafka:9092" })).toContain("clear text");
    expect(() =>
      loadConfig(everything, { ...plain, KAFKA_BROKERS: "127.0.0.1:9092" }),
    ).not.toThrow();
  });

  test("a CA file that does not exist, or one for a protocol without TLS, is refused", () => {
    expect(
      refusal({ KAFKA_SECURITY_PROTOCOL: "SSL", KAFKA_SSL_CA_FILE: "/no/such/ca.pem" }),
    ).toContain('KAFKA_SSL_CA_FILE ("/no/such/ca.pem"): must name a readable file');
    expect(refusal({ KAFKA_SSL_CA_FILE: caFile })).toContain(
      "is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS",
    );
  });

  test("Cassandra: half a credential pair, TLS files without CASSANDRA_TLS and a clear-text password to a remote node are refused", () => {
    expect(refusal({ CASSANDRA_USERNAME: "app" })).toContain(
      "CASSANDRA_PASSWORD (unset): required with CASSANDRA_USERNAME",
    );
    expect(refusal({ CASSANDRA_TLS_CA_FILE: caFile })).toContain(
      "is set but CASSANDRA_TLS is not true",
    );
    expect(refusal({ CASSANDRA_TLS: "true", CASSANDRA_TLS_CERT_FILE: caFile })).toContain(
      "CASSANDRA_TLS_KEY_FILE (unset): required with CASSANDRA_TLS_CERT_FILE",
    );
    const remote = {
      CASSANDRA_CONTACT_POINTS: "db1.internal:9042",
      CASSANDRA_USERNAME: "app",
      CASSANDRA_PASSWORD: "pw-123456",
    };
    expect(refusal(remote)).toContain("CASSANDRA_PASSWORD (<redacted>): would cross the network");
    expect(() => loadConfig(everything, { ...remote, CASSANDRA_TLS: "true" })).not.toThrow();
  });

  test("registry: credentials in the URL are refused without printing them; basic auth needs https off loopback", () => {
    const inUrl = refusal({ SCHEMA_REGISTRY_URL: "https://bob:pa55word@registry.example/" });
    expect(inUrl).toContain("SCHEMA_REGISTRY_URL");
    expect(inUrl).not.toContain("pa55word");
    const clear = refusal({
      SCHEMA_REGISTRY_URL: "http://registry.internal:8081",
      SCHEMA_REGISTRY_USERNAME: "bob",
      SCHEMA_REGISTRY_PASSWORD: "pw",
    });
    expect(clear).toContain("SCHEMA_REGISTRY_PASSWORD (<redacted>): would cross the network");
    const config = loadConfig(everything, {
      SCHEMA_REGISTRY_URL: "https://registry.example",
      SCHEMA_REGISTRY_USERNAME: "bob",
      SCHEMA_REGISTRY_PASSWORD: "pw",
      SCHEMA_REGISTRY_CA_FILE: caFile,
    });
    expect(registryAccess(config)).toEqual({
      url: "https://registry.example",
      basicAuth: { username: "bob", password: "pw" },
      caFile,
    });
  });

  test("empty variables count as unset", () => {
    expect(() =>
      loadConfig(everything, {
        CASSANDRA_USERNAME: "",
        CASSANDRA_PASSWORD: "",
        KAFKA_SSL_CA_FILE: "",
      }),
    ).not.toThrow();
  });

  test("loopback hosts are recognised in every spelling", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "[::1]", "::1"])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "10.0.0.1", "kafka", "128.0.0.1", "localhost.example"])
      expect(isLoopbackHost(host)).toBe(false);
  });
});
