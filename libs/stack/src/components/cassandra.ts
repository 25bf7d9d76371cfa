import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cassandraDriver from "cassandra-driver";
import { stackConfig } from "../config.ts";
import { resolveClasspath } from "../maven.ts";
import { confDir, dataDir } from "../paths.ts";
import { type Place, stackPlace, startDetached } from "../process.ts";
import type { ThrowawayPki } from "../scratch/certificates.ts";
import { requireTool } from "../tools.ts";
import { versions } from "../versions.ts";
import type { Component, Server } from "./types.ts";

/** One Cassandra node: every Cassandra we run (the stack's, a node of the ring, a scratch one). */
export interface CassandraNode {
  clusterName: string;
  /** The loopback address its native and storage ports are bound to. */
  address: string;
  nativePort: number;
  storagePort: number;
  /** `cassandra.jmx.local.port` (JMX binds 127.0.0.1, so each node needs its own). */
  jmxPort: number;
  /** `address:storagePort` of the seeds. */
  seeds: readonly string[];
  /** Vnodes with allocated tokens, or one fixed token (a ring split in equal parts, no bootstrap). */
  tokens: { vnodes: number } | { token: string };
  /** SimpleSnitch (`datacenter1`/`rack1`) when absent; GossipingPropertyFileSnitch with these. */
  placement?: { dc: string; rack: string };
  /** TLS-only native transport requiring a client certificate, and password authentication. */
  tls?: ThrowawayPki;
  /** Where cassandra.yaml, logback.xml (and cassandra-rackdc.properties) go; its data. */
  conf: string;
  data: string;
  heap: string;
  /** First line of cassandra.yaml (what generated it). */
  header?: string;
  /** YAML appended as it is (tuning, with its comments). */
  extra?: string;
  /** More `-D` options. */
  jvmExtra?: string[];
}

/** The cassandra-all jar and its runtime dependencies, resolved with Maven once. */
export function cassandraLibs(): Promise<string> {
  return resolveClasspath(`cassandra-${versions.cassandra}`, [
    { group: "org.apache.cassandra", artifact: "cassandra-all", version: versions.cassandra },
  ]);
}

/** Writes the node's configuration and returns the command line that runs it, logging to `logDir`. */
export async function prepareCassandra(
  node: CassandraNode,
  logDir: string,
): Promise<{ command: string; args: string[] }> {
  const java = requireTool("java");
  const libs = await cassandraLibs();
  mkdirSync(node.conf, { recursive: true });
  mkdirSync(node.data, { recursive: true });
  writeFileSync(join(node.conf, "cassandra.yaml"), cassandraYaml(node));
  writeFileSync(join(node.conf, "logback.xml"), logback());
  if (node.placement)
    writeFileSync(
      join(node.conf, "cassandra-rackdc.properties"),
      `# Generated; read by GossipingPropertyFileSnitch.\ndc=${node.placement.dc}\nrack=${node.placement.rack}\n`,
    );
  const args = cassandraJvm({ ...node, libs, logDir, extra: node.jvmExtra });
  return { command: java, args };
}

/**
 * The client options that reach only this node (no other node of its ring), with short timeouts;
 * `options` adds credentials or TLS.
 */
export function nodeClientOptions(
  node: Pick<CassandraNode, "address" | "nativePort" | "placement">,
  options: Partial<cassandraDriver.ClientOptions> = {},
): cassandraDriver.ClientOptions {
  const endpoint = `${node.address}:${node.nativePort}`;
  const dc = node.placement?.dc ?? "datacenter1";
  const { loadBalancing } = cassandraDriver.policies;
  return {
    contactPoints: [endpoint],
    localDataCenter: dc,
    policies: {
      loadBalancing: new loadBalancing.AllowListPolicy(
        new loadBalancing.DCAwareRoundRobinPolicy(dc),
        [endpoint],
      ),
    },
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    pooling: { warmup: false },
    ...options,
  };
}

/**
 * The node's release version once it serves CQL and has joined its ring (native transport starts
 * last); throws while not.
 */
export async function cassandraAnswers(options: cassandraDriver.ClientOptions): Promise<string> {
  const client = new cassandraDriver.Client(options);
  try {
    await client.connect();
    const local = (
      await client.execute("SELECT release_version, bootstrapped FROM system.local")
    ).first();
    if (local?.get("bootstrapped") !== "COMPLETED")
      throw new Error(`not bootstrapped yet (${local?.get("bootstrapped")})`);
    return String(local.get("release_version"));
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/** A Cassandra node the stack runs detached (pid file, log under `place`). */
export function cassandraServer(
  node: CassandraNode,
  options: { name: string; place?: Place; summary?: string },
): Server {
  const place = options.place ?? stackPlace;
  return {
    name: options.name,
    ports: [
      { host: node.address, port: node.nativePort },
      { host: node.address, port: node.storagePort },
      node.jmxPort,
    ],
    endpoint: `${node.address}:${node.nativePort}`,
    ...(options.summary ? { summary: options.summary } : {}),
    readyTimeoutMs: 180_000,
    stopGraceMs: 60_000,
    install: () => cassandraLibs().then(() => {}),
    async start() {
      const started = await prepareCassandra(node, place.logDir);
      startDetached({ name: options.name, ...started, version: versions.cassandra, place });
    },
    probe: () => cassandraAnswers(nodeClientOptions(node)),
  };
}

/**
 * The command line of a Cassandra node after `java`: its heap, the JDK 17 options of the
 * distribution, `conf` first on the classpath (cassandra.yaml, logback.xml and, for
 * GossipingPropertyFileSnitch, cassandra-rackdc.properties) and `extra` system properties.
 */
function cassandraJvm(node: {
  heap: string;
  libs: string;
  conf: string;
  logDir: string;
  data: string;
  jmxPort: number;
  extra?: string[] | undefined;
}): string[] {
  return [
    `-Xms${node.heap}`,
    `-Xmx${node.heap}`,
    ...jvm17ServerOptions,
    `-javaagent:${node.libs}/jamm-0.4.0.jar`,
    `-Dcassandra.config=file://${join(node.conf, "cassandra.yaml")}`,
    `-Dlogback.configurationFile=file://${join(node.conf, "logback.xml")}`,
    `-Dcassandra.logdir=${node.logDir}`,
    `-Dcassandra.storagedir=${node.data}`,
    `-Dcassandra.jmx.local.port=${node.jmxPort}`,
    "-Dcassandra-foreground=yes",
    ...(node.extra ?? []),
    "-cp",
    `${node.conf}:${node.libs}/*`,
    "org.apache.cassandra.service.CassandraDaemon",
  ];
}

/** A node's cassandra.yaml. */
export function cassandraYaml(node: CassandraNode): string {
  const { data, tls } = node;
  const tokens =
    "vnodes" in node.tokens
      ? `num_tokens: ${node.tokens.vnodes}
allocate_tokens_for_local_replication_factor: 1`
      : `num_tokens: 1
initial_token: ${node.tokens.token}
# Nodes of a fresh ring hold no data to stream; they join one after another.
auto_bootstrap: false`;
  const snitch = node.placement
    ? `# Data centre and rack come from cassandra-rackdc.properties: NetworkTopologyStrategy places one
# replica per rack.
endpoint_snitch: GossipingPropertyFileSnitch`
    : `# SimpleSnitch places the node in datacenter1 / rack1.
endpoint_snitch: SimpleSnitch`;
  const security = tls
    ? `authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${tls.serverP12}
  keystore_password: ${tls.storePassword}
  require_client_auth: true
  truststore: ${tls.trustP12}
  truststore_password: ${tls.storePassword}
  store_type: PKCS12`
    : `authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer`;
  return `${node.header ?? "# Generated; edits are overwritten."}
cluster_name: ${node.clusterName}
${tokens}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories: [${join(data, "data")}]
commitlog_directory: ${join(data, "commitlog")}
saved_caches_directory: ${join(data, "saved_caches")}
hints_directory: ${join(data, "hints")}
cdc_raw_directory: ${join(data, "cdc_raw")}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${node.seeds.join(",")}"
listen_address: ${node.address}
rpc_address: ${node.address}
storage_port: ${node.storagePort}
native_transport_port: ${node.nativePort}
start_native_transport: true
${snitch}
${security}
disk_failure_policy: stop
commit_failure_policy: stop
memtable_allocation_type: offheap_objects
# Batches are unlogged and grouped by partition key, so they stay small.
batch_size_warn_threshold: 64KiB
batch_size_fail_threshold: 640KiB
${node.extra ?? ""}`;
}

/** Logback configuration of a Cassandra node: INFO to stdout (the stack's log file). */
function logback(): string {
  return `<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;
}

/** The JDK 17 options of Cassandra 5.0's conf/jvm17-server.options (GC, module access, Netty). */
const jvm17ServerOptions = [
  "-XX:+UseG1GC",
  "-XX:+ParallelRefProcEnabled",
  "-XX:MaxTenuringThreshold=1",
  "-XX:G1HeapRegionSize=16m",
  "-XX:G1RSetUpdatingPauseTimePercent=5",
  "-XX:MaxGCPauseMillis=300",
  "-XX:InitiatingHeapOccupancyPercent=70",
  "-Djdk.attach.allowAttachSelf=true",
  ...[
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
  ].flatMap((m) => ["--add-exports", `${m}=ALL-UNNAMED`]),
  ...[
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "jdk.compiler/com.sun.tools.javac",
    "java.base/java.lang",
    "java.base/java.util",
  ].flatMap((m) => ["--add-opens", `${m}=ALL-UNNAMED`]),
  "-Dio.netty.tryReflectionSetAccessible=true",
  "-Dio.netty.allocator.useCacheForAllThreads=true",
  "-Dio.netty.allocator.maxOrder=11",
  "-XX:+HeapDumpOnOutOfMemoryError",
  "-Xss256k",
];

const single = {
  address: "127.0.0.1",
  nativePort: stackConfig.STACK_CASSANDRA_PORT,
  storagePort: stackConfig.STACK_CASSANDRA_STORAGE_PORT,
};

/** Apache Cassandra 5.0.x, one node, data centre `datacenter1`. */
export const cassandra: Component = {
  ...cassandraServer(
    {
      ...single,
      clusterName: "marketpipe-local",
      jmxPort: stackConfig.STACK_CASSANDRA_JMX_PORT,
      seeds: [`${single.address}:${single.storagePort}`],
      tokens: { vnodes: 16 },
      conf: join(confDir, "cassandra"),
      data: join(dataDir, "cassandra"),
      heap: stackConfig.STACK_CASSANDRA_HEAP,
      header: "# Generated by `bun run stack up`; edits are overwritten.",
      extra: `concurrent_reads: 16
concurrent_writes: 16
concurrent_counter_writes: 16
`,
    },
    { name: "cassandra" },
  ),
  name: "cassandra",
};
