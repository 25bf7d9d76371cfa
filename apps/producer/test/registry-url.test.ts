/**
 * Start-up against SCHEMA_REGISTRY_URL: a URL whose path leads to something other than a registry
 * (the real registry's host with a wrong path: it answers 404 without a registry error code) stops
 * the producer with exit code 2 and a message naming the variable; a registry that is merely not
 * there yet leaves the producer running, not ready, until it is.
 */
import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import {
  eventually,
  freePort,
  type Relay,
  type RunningService,
  runCommand,
  stackEnv,
  startRelay,
  startService,
} from "@repo/testkit";
import { buildProducer } from "./harness.ts";

const started: RunningService[] = [];
let relay: Relay | undefined;
afterAll(async () => {
  for (const service of started) await service.stop().catch(() => {});
  await relay?.close();
});

/** Runs the built producer as `bun run start` does until it exits (30 s at most): code and output. */
async function runUntilExit(env: Record<string, string>) {
  await buildProducer();
  const { code, output, timedOut } = await runCommand(
    ["node", "--enable-source-maps", "dist/main.js"],
    {
      cwd: resolve(import.meta.dir, ".."),
      env: { ...stackEnv, ...env, HOST: "127.0.0.1", PORT: String(await freePort()) },
      timeoutMs: 30_000,
    },
  );
  if (timedOut) throw new Error(`the producer was still running after 30 s:\n${output}`);
  return { code, output };
}

test("a registry URL with a wrong path stops start-up with exit code 2, naming SCHEMA_REGISTRY_URL", async () => {
  const url = `${stackEnv.SCHEMA_REGISTRY_URL}/wrong`;
  const { code, output } = await runUntilExit({ SCHEMA_REGISTRY_URL: url });
  expect(code).toBe(2);
  expect(output).toContain(`SCHEMA_REGISTRY_URL (${url}) does not point at a Schema Registry`);
}, 120_000);

test("a registry that is not reachable yet leaves the producer running and not ready, then ready once it answers", async () => {
  await buildProducer();
  const port = await freePort();
  const producer = await startService(
    "producer",
    { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}` },
    { waitFor: "healthz" },
  );
  started.push(producer);
  const readiness = async () => {
    const response = await fetch(`${producer.url}/readyz`);
    return {
      status: response.status,
      registry: ((await response.json()) as { checks: { registry: { ok: boolean } } }).checks
        .registry.ok,
    };
  };
  expect(await readiness()).toEqual({ status: 503, registry: false });
  relay = await startRelay(port, Number(new URL(stackEnv.SCHEMA_REGISTRY_URL).port));
  await eventually(async () => ((await readiness()).status === 200 ? true : undefined), {
    message: "the producer did not turn ready once the registry answered",
  });
  expect(producer.ended()).toBeUndefined();
}, 120_000);
