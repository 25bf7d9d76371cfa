import { topics as declaredTopics, type TopicSpec } from "@repo/contracts";
import type { RegistryAccess } from "@repo/platform/security";
import { RegistryAdmin } from "@repo/registry/admin";

/** Subjects that hold the declared schemas for test runs start with this. */
export const PIN_PREFIX = "marketpipe.test-pin.";

/**
 * Registers every declared value schema under `marketpipe.test-pin.<subject>` (compatibility NONE,
 * so any edit of a schema is accepted) and never deletes them, so each schema always has a subject
 * holding it. AxonOps Schema Registry deletes a schema's text when the last subject holding it is
 * hard-deleted, racing any registration of the same schema elsewhere (see `RegistryAdmin.register`);
 * test files push the same schemas into their own subjects and hard-delete them when done, so
 * `bun run test` pins them first. Returns the pinned subjects.
 *
 * @example
 *   await pinDeclaredSchemas({ url: "http://127.0.0.1:8081" });
 *   // ["marketpipe.test-pin.market.ticks-value", "marketpipe.test-pin.market.bars.1m-value"]
 */
export async function pinDeclaredSchemas(
  registry: RegistryAccess,
  topics: readonly TopicSpec[] = declaredTopics,
): Promise<string[]> {
  const admin = new RegistryAdmin(registry);
  const pinned: string[] = [];
  for (const topic of topics) {
    if (topic.value === "bytes") continue;
    const subject = `${PIN_PREFIX}${topic.value.subject}`;
    if ((await admin.subjectCompatibility(subject)) !== "NONE")
      await admin.setCompatibility(subject, "NONE");
    await admin.register(subject, JSON.stringify(topic.value.schema));
    pinned.push(subject);
  }
  return pinned;
}
