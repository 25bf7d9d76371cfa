import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { AccessError, isRetriable } from "@repo/platform/errors";
import { createSchemaRegistryClient } from "./client.ts";
import {
  RegistryUnavailableError,
  RegistryUrlError,
  UnknownSchemaError,
  UnsupportedSchemaError,
} from "./errors.ts";

/** A TCP server that accepts connections and never answers; counts the sockets it holds. */
let silent: Server;
let silentUrl: string;
const held = new Set<Socket>();
let accepted = 0;

/**
 * A stand-in registry answering `GET /schemas/ids/<id>` and `GET /subjects` the way the Confluent
 * REST API documents them (docs.confluent.io, Schema Registry API reference: error codes 40401
 * subject not found, 40403 schema not found, `schemaType` absent for AVRO), with the answers set
 * per id below, and 404 `{"error_code":404}` for paths it does not serve (what a registry answers
 * for a wrong base path).
 */
let standIn: ReturnType<typeof Bun.serve>;
const answers = new Map<string, () => Response>([
  ["/subjects", () => Response.json(["t-value"])],
  ["/schemas/ids/1", () => Response.json({ schema: '"string"' })],
  [
    "/schemas/ids/2",
    () => Response.json({ schema: 'syntax = "proto3"; message T {}', schemaType: "PROTOBUF" }),
  ],
  ["/schemas/ids/3", () => Response.json({ schema: '{"type":"record","name":"x"}' })],
  ["/schemas/ids/4", () => Response.json({ error_code: 50001, message: "boom" }, { status: 500 })],
  ["/schemas/ids/5", () => Response.json({ error_code: 42901, message: "slow" }, { status: 429 })],
  ["/schemas/ids/6", () => Response.json({ error_code: 403, message: "no" }, { status: 403 })],
  ["/schemas/ids/7", () => Response.json({ schema: "{}", schemaType: "XML" })],
  [
    "/schemas/ids/8",
    () =>
      Response.json({
        schema: '{"type":"record","name":"Outer","fields":[{"name":"inner","type":"Inner"}]}',
        references: [{ name: "Inner", subject: "inner-value", version: 1 }],
      }),
  ],
  [
    "/subjects/inner-value/versions/1",
    () =>
      Response.json({
        subject: "inner-value",
        version: 1,
        id: 9,
        schema: '{"type":"record","name":"Inner","fields":[{"name":"n","type":"int"}]}',
      }),
  ],
  ["/schemas/ids/10", () => new Response("<html>hello</html>", { status: 200 })],
]);
let standInUrl: string;

beforeAll(async () => {
  silent = createServer((socket) => {
    accepted += 1;
    held.add(socket);
    socket.on("close", () => held.delete(socket));
    socket.on("error", () => {});
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  standIn = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      const answer = answers.get(path);
      if (answer) return answer();
      if (path.startsWith("/schemas/ids/"))
        return Response.json({ error_code: 40403, message: "Schema not found" }, { status: 404 });
      return Response.json({ error_code: 404, message: "HTTP 404 Not Found" }, { status: 404 });
    },
  });
  standInUrl = `http://127.0.0.1:${standIn.port}`;
});

afterEach(() => {
  accepted = 0;
});

afterAll(() => {
  for (const socket of held) socket.destroy();
  silent.close();
  standIn.stop(true);
});

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i += 1) await Bun.sleep(25);
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

describe("a registry that accepts connections and never answers", () => {
  test("every call fails as retriable RegistryUnavailableError within its timeout, and its socket is closed", async () => {
    const registry = createSchemaRegistryClient({ url: silentUrl, timeoutMs: 300 });
    const outcomes = await Promise.all([
      registry.idFor("t-value").catch((e: unknown) => e),
      registry.typeOf(11).catch((e: unknown) => e),
      registry.checkAccess(300).catch((e: unknown) => e),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(RegistryUnavailableError);
      expect(isRetriable(outcome)).toBe(true);
      expect((outcome as Error).message).toContain("no answer within 300 ms");
    }
    expect(await registry.reachable(300)).toBe(false);
    expect(accepted).toBeGreaterThan(0);
    await until(() => held.size === 0, "the client to close every hung socket");
  });

  // That none of them stays open afterwards is proven on Node, where the services run
  // (apps/consumer/src/e2e/registry-hang.test.ts): Bun's node:http keeps one socket of such a burst.
  test("a burst of 100 calls holds at most 16 sockets while it waits", async () => {
    const registry = createSchemaRegistryClient({ url: silentUrl, timeoutMs: 1_000 });
    const calls = Array.from({ length: 100 }, (_, id) =>
      registry.typeOf(100 + id).catch((e: unknown) => e),
    );
    await until(() => held.size >= 16, "16 sockets held");
    await Bun.sleep(200);
    expect(held.size).toBe(16);
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((e) => e instanceof RegistryUnavailableError)).toBe(true);
    expect(accepted).toBeLessThan(100);
  });
});

describe("answers are classified by whose fault they are", () => {
  const registry = () => createSchemaRegistryClient({ url: standInUrl, timeoutMs: 2_000 });

  test("a primitive schema parses (whether it reads as a Tick is the consumer's call)", async () => {
    expect((await registry().typeOf(1)).typeName).toBe("string");
  });

  test("an Avro schema with a reference resolves it through the subject's version", async () => {
    const type = await registry().typeOf(8);
    expect(type.fromBuffer(type.toBuffer({ inner: { n: 5 } }))).toEqual({ inner: { n: 5 } });
  });

  test.each([
    [2, "is PROTOBUF, not AVRO"],
    [3, "is not a valid Avro schema"],
    [7, "is XML, not AVRO"],
  ])("schema id %i is unsupported, for good (%s)", async (id, detail) => {
    const error = await registry()
      .typeOf(id)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedSchemaError);
    expect(isRetriable(error)).toBe(false);
    expect((error as Error).message).toContain(detail);
  });

  test("the registry's own 404 for an id is an unknown schema, for good", async () => {
    const error = await registry()
      .typeOf(999)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownSchemaError);
    expect(isRetriable(error)).toBe(false);
  });

  test.each([
    [4, 500],
    [5, 429],
  ])("schema id %i answered %i is retriable and carries the status", async (id, status) => {
    const error = await registry()
      .typeOf(id)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as RegistryUnavailableError).status).toBe(status);
    expect(isRetriable(error)).toBe(true);
  });

  test("a 403 for one id is an access refusal with its status, not an unknown schema", async () => {
    const error = await registry()
      .typeOf(6)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessError);
    expect((error as { status?: number }).status).toBe(403);
  });

  test("a 200 that is not JSON is not a registry answer", async () => {
    const error = await registry()
      .typeOf(10)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUrlError);
  });
});

describe("the start-up check", () => {
  test("passes against a registry", async () => {
    await createSchemaRegistryClient({ url: standInUrl }).checkAccess(2_000);
  });

  test("a wrong path fails for good, naming SCHEMA_REGISTRY_URL", async () => {
    const url = `${standInUrl}/wrong`;
    const error = await createSchemaRegistryClient({ url })
      .checkAccess(2_000)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUrlError);
    expect(isRetriable(error)).toBe(false);
    expect((error as Error).message).toContain(`SCHEMA_REGISTRY_URL (${url})`);
  });

  test("nothing listening is retriable, not a wrong URL", async () => {
    const error = await createSchemaRegistryClient({ url: "http://127.0.0.1:9" })
      .checkAccess(1_000)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
  });
});
