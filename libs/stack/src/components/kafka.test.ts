import { expect, test } from "bun:test";
import { clusterId, kraftProperties } from "./kafka.ts";

const properties = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("=") && !line.startsWith("#"))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );

const node = { id: 2, port: 19093, controllerPort: 19193, conf: "/c", logDirs: "/d", heap: "1g" };
const quorum = [1, 2, 3].map((id) => ({ id, controllerPort: 19191 + id }));

test("a cluster node votes in the whole quorum and needs two in-sync replicas for a write", () => {
  const p = properties(kraftProperties({ ...node, quorum, replication: 3 }));
  expect(p["controller.quorum.voters"]).toBe(
    "1@127.0.0.1:19192,2@127.0.0.1:19193,3@127.0.0.1:19194",
  );
  expect(p["node.id"]).toBe("2");
  expect(p["default.replication.factor"]).toBe("3");
  expect(p["min.insync.replicas"]).toBe("2");
  expect(p["offsets.topic.replication.factor"]).toBe("3");
  expect(p["auto.create.topics.enable"]).toBe("false");
});

test("a single SASL node listens for SCRAM clients only, the broker authenticating as itself", () => {
  const broker = { name: "broker", password: "pw" };
  const self = { id: 1, controllerPort: 19193 };
  const p = properties(
    kraftProperties({ ...node, ...self, quorum: [self], replication: 1, sasl: { broker } }),
  );
  expect(p.listeners).toBe("SASL_PLAINTEXT://127.0.0.1:19093,CONTROLLER://127.0.0.1:19193");
  expect(p["inter.broker.listener.name"]).toBe("SASL_PLAINTEXT");
  expect(p["min.insync.replicas"]).toBe("1");
  expect(p["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"]).toContain(
    'username="broker" password="pw"',
  );
});

test("cluster ids are 22 URL-safe base64 characters and never begin with '-' (kafka-storage would read an option)", () => {
  // With a plain random id, 1 in 64 begins with '-': 10,000 of them include one all but surely.
  const ids = Array.from({ length: 10_000 }, clusterId);
  expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});
