/**
 * What a Cassandra node runs with: the node's description, its cassandra.yaml, logback.xml and the
 * JVM command line (the JDK 17 options of the distribution).
 */
import { join } from "node:path";
import type { ThrowawayPki } from "../scratch/certificates.ts";

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

/**
 * The command line of a Cassandra node after `java`: its heap, the JDK 17 options of the
 * distribution, `conf` first on the classpath (cassandra.yaml, logback.xml and, for
 * GossipingPropertyFileSnitch, cassandra-rackdc.properties) and `extra` system properties.
 */
export function cassandraJvm(node: {
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
export function logback(): string {
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
