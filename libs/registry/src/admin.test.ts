import { afterAll, describe, expect, test } from "bun:test";
import { isRetriable } from "@repo/platform/errors";
import { RegistryAdmin, RegistryError } from "./admin.ts";

/**
 * A stand-in for AxonOps Schema Registry 0.2.x after the race `RegistryAdmin.register` answers
 * (see libs/provision/test/registry-race.test.ts, which reproduces it on the real registry):
 * `POST /subjects/{s}/versions` answers 200 with the id, and the lookup `POST /subjects/{s}` answers
 * 404 until the schema has been registered `healAfter` times (Confluent REST API shapes).
 */
function registry(healAfter: number) {
  const calls: string[] = [];
  let registrations = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(request) {
      const path = new URL(request.url).pathname;
      const registering = path.endsWith("/versions");
      calls.push(registering ? "register" : "lookup");
      if (registering) {
        registrations += 1;
        return Response.json({ id: 42 });
      }
      if (registrations >= healAfter) return Response.json({ id: 42, version: 1 });
      return Response.json({ error_code: 40403, message: "Schema not found" }, { status: 404 });
    },
  });
  return { calls, server, admin: new RegistryAdmin({ url: `http://127.0.0.1:${server.port}` }) };
}

const servers: { stop(): void }[] = [];
afterAll(() => {
  for (const server of servers) server.stop();
});

describe("RegistryAdmin.register when the registry cannot read back what it just registered", () => {
  test("registers again until the lookup finds it, and returns the found version", async () => {
    const { admin, calls, server } = registry(3);
    servers.push(server);
    expect(await admin.register("market.ticks-value", '"string"')).toEqual({ id: 42, version: 1 });
    expect(calls).toEqual(["register", "lookup", "register", "lookup", "register", "lookup"]);
  });

  test("gives up after its attempts with an error naming the subject and the id", async () => {
    const { admin, calls, server } = registry(Number.POSITIVE_INFINITY);
    servers.push(server);
    const error = await admin.register("market.ticks-value", '"string"').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(isRetriable(error)).toBe(false);
    expect((error as Error).message).toBe(
      "registered in market.ticks-value (id 42) but the registry could not find it again in 6 attempts",
    );
    expect(calls.filter((call) => call === "register")).toHaveLength(6);
  });
});
