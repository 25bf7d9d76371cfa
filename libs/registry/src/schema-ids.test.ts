import { describe, expect, test } from "bun:test";
import { isRetriable } from "@repo/platform/errors";
import {
  createSchemaIdCache,
  RegistryUnavailableError,
  UnknownSubjectError,
} from "./schema-ids.ts";

const unreachable = () => new Error("connect ECONNREFUSED");

describe("schema id cache", () => {
  test("asks the registry once per subject while the id is fresh", async () => {
    let calls = 0;
    const ids = createSchemaIdCache(async () => ++calls && 7, { ttlMs: 60_000 });
    expect(await Promise.all([ids.idFor("t-value"), ids.idFor("t-value")])).toEqual([7, 7]);
    expect(await ids.idFor("t-value")).toBe(7);
    expect(calls).toBe(1);
  });

  test("keeps serving a stale id while the registry is down", async () => {
    let clock = 0;
    let up = true;
    const ids = createSchemaIdCache(async () => (up ? 3 : Promise.reject(unreachable())), {
      ttlMs: 10,
      now: () => clock,
    });
    expect(await ids.idFor("t-value")).toBe(3);
    up = false;
    clock = 1_000;
    expect(await ids.idFor("t-value")).toBe(3);
  });

  test("past its TTL a cached id is answered at once while a registry that hangs is asked again", async () => {
    let clock = 0;
    let hang = false;
    let lookups = 0;
    const ids = createSchemaIdCache(
      async () => {
        lookups += 1;
        return hang ? new Promise<number>(() => {}) : 3;
      },
      { ttlMs: 10, now: () => clock },
    );
    expect(await ids.idFor("t-value")).toBe(3);
    hang = true;
    clock = 1_000;
    expect(await ids.idFor("t-value")).toBe(3);
    expect(await ids.idFor("t-value")).toBe(3);
    expect(lookups).toBe(2);
  });

  test("a subject that disappears from the registry is dropped at the next refresh", async () => {
    let clock = 0;
    let known = true;
    const ids = createSchemaIdCache(
      async (subject) => (known ? 3 : Promise.reject(new UnknownSubjectError(subject))),
      { ttlMs: 10, now: () => clock },
    );
    expect(await ids.idFor("t-value")).toBe(3);
    known = false;
    clock = 1_000;
    expect(await ids.idFor("t-value")).toBe(3);
    await Bun.sleep(0);
    expect(await ids.idFor("t-value").catch((e: unknown) => e)).toBeInstanceOf(UnknownSubjectError);
  });

  test("a cold cache with the registry down fails as unavailable, naming the subject", async () => {
    const ids = createSchemaIdCache(async () => Promise.reject(unreachable()), { ttlMs: 10 });
    const error = await ids.idFor("t-value").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain('"t-value"');
  });

  test("a subject the registry does not know is an unknown subject", async () => {
    const ids = createSchemaIdCache(
      async (subject) => Promise.reject(new UnknownSubjectError(subject)),
      {
        ttlMs: 10,
      },
    );
    const error = await ids.idFor("x-value").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownSubjectError);
    expect((error as UnknownSubjectError).subject).toBe("x-value");
  });
});

describe("error vocabulary", () => {
  test("an unknown subject and an unreachable registry are retriable (pushing the schemas or the registry's return fixes them)", () => {
    expect(isRetriable(new UnknownSubjectError("t-value"))).toBe(true);
    expect(isRetriable(new RegistryUnavailableError("t-value", new Error("ECONNREFUSED")))).toBe(
      true,
    );
  });
});
