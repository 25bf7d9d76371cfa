/**
 * Start-up against a SCHEMA_REGISTRY_URL whose path leads to something other than a registry (the
 * real registry's host with a wrong path answers 404 without a registry error code): the consumer
 * stops with exit code 2 and a message naming the variable, before it joins a group, instead of
 * dead-lettering valid ticks as "unknown schema id". (A registry that is merely down at start-up is
 * registry-hang.test.ts: the consumer waits, not ready, and recovers.)
 */
import { expect, test } from "bun:test";
import { freePort, runCommand, stackEnv, uniqueId } from "@repo/testkit";
import { appDir, buildConsumer } from "./harness.ts";

test("a registry URL with a wrong path stops start-up with exit code 2, naming SCHEMA_REGISTRY_URL", async () => {
  await buildConsumer();
  const url = `${stackEnv.SCHEMA_REGISTRY_URL}/wrong`;
  const id = uniqueId("sr_url");
  const { code, output, timedOut } = await runCommand(
    ["node", "--enable-source-maps", "dist/main.js"],
    {
      cwd: appDir,
      env: {
        ...stackEnv,
        SCHEMA_REGISTRY_URL: url,
        TOPIC_PREFIX: `${id}.`,
        CONSUMER_GROUP: `${id}-group`,
        HOST: "127.0.0.1",
        PORT: String(await freePort()),
      },
      timeoutMs: 30_000,
    },
  );
  if (timedOut) throw new Error(`the consumer was still running after 30 s:\n${output}`);
  expect(code).toBe(2);
  expect(output).toContain(`SCHEMA_REGISTRY_URL (${url}) does not point at a Schema Registry`);
  expect(output).not.toContain('"msg":"consuming"');
}, 120_000);
