import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { freePort } from "@repo/testkit";
import { installRegistry, registryBinary } from "../components/registry.ts";
import type { ThrowawayPki } from "./certificates.ts";
import { type ScratchServer, scratchDir, startScratch } from "./server.ts";

export interface ScratchRegistry extends ScratchServer {
  /** `https://127.0.0.1:<port>`. */
  url: string;
}

/**
 * The stack's Schema Registry (AxonOps, Confluent REST API) on a free loopback port, serving TLS
 * with a certificate from `pki` and requiring basic auth for `user`; schemas are kept in memory,
 * so nothing touches the shared Cassandra. Starts in well under a second.
 *
 * @example
 *   const registry = await startScratchRegistry({ pki, user: { name: "pipeline", password } });
 *   // SCHEMA_REGISTRY_URL=registry.url, SCHEMA_REGISTRY_CA_FILE=pki.caCert, SCHEMA_REGISTRY_USERNAME=…
 */
export async function startScratchRegistry(options: {
  pki: ThrowawayPki;
  user: { name: string; password: string };
}): Promise<ScratchRegistry> {
  await installRegistry();
  const dir = scratchDir("registry");
  const port = await freePort();
  const hash = await Bun.password.hash(options.user.password, { algorithm: "bcrypt", cost: 4 });
  const config = join(dir, "registry.yaml");
  writeFileSync(
    config,
    `server:
  host: "127.0.0.1"
  port: ${port}
storage:
  type: memory
compatibility:
  default_level: BACKWARD
logging:
  level: warn
  format: text
security:
  tls:
    enabled: true
    cert_file: ${options.pki.serverCert}
    key_file: ${options.pki.serverKey}
    min_version: TLS1.2
    client_auth: none
  auth:
    enabled: true
    methods: [basic]
    basic:
      realm: marketpipe-scratch
      users:
        # The registry expands $VARIABLES in its configuration, which would eat a bcrypt hash's
        # "$2b$…": the hash comes in through the environment instead.
        ${options.user.name}: "\${SCRATCH_REGISTRY_PASSWORD_HASH}"
    rbac:
      enabled: false
`,
  );
  const url = `https://127.0.0.1:${port}`;
  const server = await startScratch({
    name: "registry",
    dir,
    command: registryBinary,
    args: ["-config", config],
    env: { SCRATCH_REGISTRY_PASSWORD_HASH: hash },
    ready: () => answers(url, options),
    timeoutMs: 30_000,
  });
  return { ...server, url };
}

function answers(
  url: string,
  options: { pki: ThrowawayPki; user: { name: string; password: string } },
): Promise<boolean> {
  const auth = Buffer.from(`${options.user.name}:${options.user.password}`).toString("base64");
  return new Promise((resolve) => {
    const probe = request(
      `${url}/subjects`,
      {
        ca: readFileSync(options.pki.caCert),
        headers: { authorization: `Basic ${auth}` },
        timeout: 1_000,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    probe.on("error", () => resolve(false));
    probe.on("timeout", () => probe.destroy());
    probe.end();
  });
}
