import { describe, expect, test } from "bun:test";

describe("importable without librdkafka", () => {
  test("the error and type modules load under Bun, where the addon cannot", async () => {
    // Importing the addon under Bun kills the runner; these modules must not reach it.
    const { ProduceError } = await import("./errors.ts");
    await import("./types.ts");
    const error = new ProduceError("timeout", "Kafka did not acknowledge", 3);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "ProduceError", reason: "timeout", delivered: 3 });
  });
});
