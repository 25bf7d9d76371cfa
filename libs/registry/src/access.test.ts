import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessError, isRetriable } from "@repo/platform/errors";
import { createSchemaRegistryClient } from "./client.ts";

const user = { username: "producer", password: "registry-pw-0123456789" };
const dir = mkdtempSync(join(tmpdir(), "registry-tls-"));
const seen: (string | null)[] = [];
let server: ReturnType<typeof Bun.serve>;
let caFile: string;
let url: string;

/** A Confluent-API stand-in over TLS that wants basic auth: enough to prove what the client sends. */
beforeAll(() => {
  const made = spawnSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=registry test",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  caFile = join(dir, "cert.pem");
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) },
    fetch(request) {
      seen.push(request.headers.get("authorization"));
      if (request.headers.get("authorization") !== expected)
        return Response.json({ error_code: 401, message: "Unauthorized" }, { status: 401 });
      const path = new URL(request.url).pathname;
      if (path === "/subjects") return Response.json(["market.ticks-value"]);
      if (path === "/subjects/market.ticks-value/versions/latest")
        return Response.json({
          subject: "market.ticks-value",
          version: 3,
          id: 42,
          schema: '"string"',
        });
      return Response.json({ error_code: 40401, message: "not found" }, { status: 404 });
    },
  });
  url = `https://127.0.0.1:${server.port}`;
});

afterAll(() => {
  server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("a registry behind basic auth and TLS", () => {
  test("with its CA and the credentials, the client reaches it and looks up ids", async () => {
    const registry = createSchemaRegistryClient({ url, basicAuth: user, caFile });
    await registry.checkAccess(2_000);
    expect(await registry.reachable(2_000)).toBe(true);
    expect(await registry.idFor("market.ticks-value")).toBe(42);
    expect(seen.every((header) => header?.startsWith("Basic "))).toBe(true);
  });

  test("a wrong password is an AccessError naming the user, never the password", async () => {
    const registry = createSchemaRegistryClient({
      url,
      basicAuth: { ...user, password: "not-the-password" },
      caFile,
    });
    const error = await registry.checkAccess(2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect(isRetriable(error)).toBe(false);
    expect((error as Error).message).toContain("SCHEMA_REGISTRY_USERNAME (producer)");
    expect((error as Error).message).not.toContain("not-the-password");
    expect(await registry.reachable(2_000)).toBe(false);
  });

  test("without its CA the certificate is refused, naming SCHEMA_REGISTRY_CA_FILE", async () => {
    const registry = createSchemaRegistryClient({ url, basicAuth: user });
    const error = await registry.checkAccess(2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect((error as Error).message).toContain("SCHEMA_REGISTRY_CA_FILE");
  });

  test("a registry that does not answer is retriable, not a refusal", async () => {
    const registry = createSchemaRegistryClient({ url: "http://127.0.0.1:9" });
    const error = await registry.checkAccess(1_000).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AccessError);
    expect(isRetriable(error)).toBe(true);
  });
});
