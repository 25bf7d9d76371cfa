import { afterEach } from "bun:test";
import { dropKeyspace } from "./cassandra.ts";
import { dropTopics } from "./kafka.ts";

/**
 * Deletes what an isolated test created once its services stopped (a consumer group with members
 * cannot be deleted): the topics and registry subjects under `prefix`, the consumer `groups` and
 * the `keyspace`. Best effort: a failure is printed, never thrown, so cleanup cannot hide the
 * test's own result.
 *
 * @example
 *   afterAll(async () => {
 *     await producer?.stop();
 *     await dropIsolated({ prefix });
 *   });
 */
export async function dropIsolated(what: {
  prefix?: string | undefined;
  groups?: string[];
  keyspace?: string | undefined;
}): Promise<void> {
  if (what.keyspace) {
    const keyspace = what.keyspace;
    await dropKeyspace(keyspace).catch((error: Error) =>
      console.warn(`could not drop keyspace ${keyspace}: ${error.message}`),
    );
  }
  if (what.prefix) {
    const prefix = what.prefix;
    await dropTopics(prefix, what.groups ?? []).catch((error: Error) =>
      console.warn(
        `could not delete the topics, subjects or groups of ${prefix}: ${error.message}`,
      ),
    );
  }
}

/**
 * A list the test file pushes cleanups onto (stop a server, close a client); after each test they
 * run, last pushed first, and the list empties.
 *
 * @example
 *   const cleanups = cleanupsAfterEach();
 *   const server = Bun.serve({ port: 0, fetch });
 *   cleanups.push(() => server.stop(true));
 */
export function cleanupsAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}
