import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cassandraDriver from "cassandra-driver";
import { stackConfig } from "../config.ts";
import { cacheDir, confDir } from "../paths.ts";
import { StackError } from "../ports.ts";
import { startDetached } from "../process.ts";
import { requireTool, runAsync } from "../tools.ts";
import { registryModule, versions } from "../versions.ts";
import type { Component } from "./types.ts";

const port = stackConfig.STACK_REGISTRY_PORT;
const cassandraPort = stackConfig.STACK_CASSANDRA_PORT;
const keyspace = "schema_registry";

/**
 * The registry opens its Cassandra session once at start-up and exits when no connection to its
 * keyspace can be made (gocql's "no connections were made when creating the session"), which a
 * ring that has only just formed can still cause; `up` starts it again rather than failing.
 */
export const registryStartAttempts = 3;

/** The registry binary `installRegistry` builds. */
export const registryBinary = join(cacheDir, `registry-${versions.registry}`, "schema-registry");
const conf = join(confDir, "registry");

/**
 * AxonOps Schema Registry (Apache-2.0, Go), which speaks the Confluent Schema Registry REST API and
 * stores schemas in the local Cassandra, so ids survive restarts and `reset` wipes them with the rest.
 */
export const registry: Component = {
  name: "registry",
  ports: [port],
  endpoint: `http://127.0.0.1:${port}`,
  readyTimeoutMs: 60_000,
  startAttempts: registryStartAttempts,
  stopGraceMs: 10_000,
  installer: "go",
  install: installRegistry,

  async start() {
    await createRegistryKeyspace({
      contactPoints: [`127.0.0.1:${cassandraPort}`],
      localDc: "datacenter1",
      replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    });
    mkdirSync(conf, { recursive: true });
    const file = join(conf, "config.yaml");
    writeFileSync(
      file,
      registryConfig({ port, hosts: ["127.0.0.1"], cassandraPort, localDc: "datacenter1" }),
    );
    startDetached({
      name: "registry",
      command: registryBinary,
      args: ["-config", file],
      version: versions.registry,
    });
  },

  probe: () => probeRegistry(port),
};

/** Builds the registry binary with Go once (cached per version under ~/.cache/marketpipe). */
export async function installRegistry(): Promise<void> {
  if (existsSync(registryBinary)) return;
  const go = requireTool("go");
  console.log(`  building ${registryModule}@${versions.registry} with Go (first run only)…`);
  // `go install m@v` also asks the proxy for the module's version list, which is not served for this
  // module; downloading the exact version (checksum-verified against the Go checksum database) and
  // building its command from the module cache is equivalent.
  const downloaded = JSON.parse(
    await runAsync(go, ["mod", "download", "-json", `${registryModule}@${versions.registry}`]),
  ) as { Dir?: string; Error?: string };
  if (!downloaded.Dir) throw new Error(downloaded.Error ?? "go mod download returned no directory");
  mkdirSync(join(cacheDir, `registry-${versions.registry}`), { recursive: true });
  await runAsync(
    go,
    [
      "build",
      "-trimpath",
      "-ldflags",
      `-s -w -X main.version=${versions.registry}`,
      "-o",
      `${registryBinary}.partial`,
      "./cmd/schema-registry",
    ],
    { cwd: downloaded.Dir, env: { GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" } },
  );
  await runAsync("mv", [`${registryBinary}.partial`, registryBinary]);
}

/** Resolves the registry's version once `GET /subjects` on `port` answers a JSON array. */
export async function probeRegistry(port: number): Promise<string> {
  const subjects = await fetch(`http://127.0.0.1:${port}/subjects`, {
    signal: AbortSignal.timeout(2000),
  });
  if (!subjects.ok) throw new Error(`GET /subjects answered ${subjects.status}`);
  if (!Array.isArray(await subjects.json()))
    throw new Error("GET /subjects did not answer a JSON array");
  return versions.registry;
}

/**
 * The registry connects to its keyspace directly, so it must exist before the registry starts; its
 * replication is the cluster's (RF 1 on one node, NetworkTopologyStrategy RF 3 on the cluster).
 */
export async function createRegistryKeyspace(cassandra: {
  contactPoints: string[];
  localDc: string;
  replication: string;
}): Promise<void> {
  const client = new cassandraDriver.Client({
    contactPoints: cassandra.contactPoints,
    localDataCenter: cassandra.localDc,
  });
  try {
    await client.connect();
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${cassandra.replication}`,
    );
    // The driver waits at most 10 s for the nodes to agree on the new keyspace and then carries on;
    // the registry's `USE schema_registry` fails on a node that has not seen it yet.
    await waitForSchemaAgreement(client, 60_000);
  } finally {
    await client.shutdown().catch(() => {});
  }
}

async function waitForSchemaAgreement(
  client: cassandraDriver.Client,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // What the driver's own agreement check reads: one node's schema version and the versions it
  // sees its peers at, both asked of that same node.
  const versionsSeen = async () => {
    const host = client.getState().getConnectedHosts()[0];
    const [local, peers] = await Promise.all([
      client.execute("SELECT schema_version FROM system.local", [], { host }),
      client.execute("SELECT schema_version FROM system.peers", [], { host }),
    ]);
    return new Set([...local.rows, ...peers.rows].map((row) => String(row.get("schema_version"))));
  };
  while ((await versionsSeen()).size !== 1) {
    if (Date.now() > deadline) {
      throw new StackError(
        `the Cassandra nodes did not agree on keyspace ${keyspace} within ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The registry's config.yaml: HTTP on 127.0.0.1:`port`, schemas in Cassandra at LOCAL_QUORUM. */
export function registryConfig(options: {
  port: number;
  hosts: string[];
  cassandraPort: number;
  localDc: string;
}): string {
  return `# Generated by \`bun run stack up\`; edits are overwritten.
server:
  host: "127.0.0.1"
  port: ${options.port}
storage:
  type: cassandra
  cassandra:
    hosts: [${options.hosts.map((h) => `"${h}"`).join(", ")}]
    port: ${options.cassandraPort}
    keyspace: ${keyspace}
    local_dc: ${options.localDc}
    consistency: LOCAL_QUORUM
compatibility:
  default_level: BACKWARD
logging:
  level: info
  format: text
security:
  auth:
    enabled: false
`;
}
