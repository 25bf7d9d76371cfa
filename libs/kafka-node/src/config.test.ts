import { describe, expect, test } from "bun:test";
import { AccessError, isRetriable } from "@repo/platform/errors";
import { baseKafkaConfig, watchRefusals } from "./config.ts";

describe("librdkafka client properties", () => {
  test("plain text unless told otherwise: no security properties at all", () => {
    const config = baseKafkaConfig(["127.0.0.1:9092"], "producer");
    expect(config["bootstrap.servers"]).toBe("127.0.0.1:9092");
    expect(Object.keys(config).some((key) => /^(security|sasl|ssl)\./.test(key))).toBe(false);
  });

  test("SASL_SSL with SCRAM and a CA file map to librdkafka's names", () => {
    const config = baseKafkaConfig(["k1:9093", "k2:9093"], "consumer", {
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "pw" },
      caFile: "/etc/ca.pem",
    });
    expect(config).toMatchObject({
      "bootstrap.servers": "k1:9093,k2:9093",
      "security.protocol": "sasl_ssl",
      "sasl.mechanisms": "SCRAM-SHA-256",
      "sasl.username": "alice",
      "sasl.password": "pw",
      "ssl.ca.location": "/etc/ca.pem",
    });
  });

  test("a refused SASL handshake becomes a non-retriable AccessError naming the settings, never the password", () => {
    const refusals = watchRefusals({
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "wrong-pw" },
    });
    expect(refusals.explain()).toBeUndefined();
    refusals.observe({ code: -187, message: "1/1 brokers are down" });
    expect(refusals.explain()).toBeUndefined();
    refusals.observe({ code: -169, message: "SASL authentication error: Authentication failed" });
    const error = refusals.explain();
    expect(error).toBeInstanceOf(AccessError);
    expect(isRetriable(error)).toBe(false);
    expect(error?.message).toContain("KAFKA_SASL_USERNAME=alice");
    expect(error?.message).not.toContain("wrong-pw");
    expect(refusals.explain()).toBeUndefined();
  });

  test("before the client polls, the refusal arrives as a FAIL log line and is recognised there", () => {
    const refusals = watchRefusals(undefined);
    refusals.observeLog({ severity: 6, fac: "BROKER", message: "connected" });
    refusals.observeLog({
      severity: 3,
      fac: "FAIL",
      message: "[thrd:b]: b: Connect to ipv4#127.0.0.1:1 failed: Connection refused",
    });
    expect(refusals.explain()).toBeUndefined();
    refusals.observeLog({
      severity: 3,
      fac: "FAIL",
      message:
        "[thrd:sasl_plaintext://127.0.0.1:9/bootstrap]: sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
    });
    expect(refusals.explain()?.message).toStartWith("kafka refused access: sasl_plaintext://");
  });
});
