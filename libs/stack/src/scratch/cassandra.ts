import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cassandraDriver from "cassandra-driver";
import { cassandraJvm, cassandraLibs, logback } from "../components/cassandra.ts";
import { requireTool } from "../tools.ts";
import { makeThrowawayPki, type ThrowawayPki } from "./certificates.ts";
import { freeLoopbackPort, type ScratchServer, scratchDir, startScratch } from "./server.ts";

export interface ScratchCassandra extends ScratchServer {
  /** `127.0.0.1:<port>` of its TLS-only native transport. */
  contactPoint: string;
  /** The throwaway CA that signed the node's and a client's certificate. */
  pki: ThrowawayPki;
  /** A role with a password, created at start (the superuser stays `cassandra`). */
  user: { name: string; password: string };
}

/**
 * A one-node Cassandra of the stack's version on free loopback ports whose native transport
 * accepts TLS only, requires a client certificate signed by a throwaway CA, and authenticates with
 * PasswordAuthenticator. Heavy (a JVM with a 512 MiB heap, 30–60 s to start on 2 cores): tests
 * that need it should share one per file.
 *
 * @example
 *   const node = await startScratchCassandra({ user: { name: "pipeline", password } });
 *   // CASSANDRA_CONTACT_POINTS=node.contactPoint, CASSANDRA_TLS=true, CASSANDRA_TLS_CA_FILE=node.pki.caCert …
 *   await node.stop();
 */
export async function startScratchCassandra(options: {
  user: { name: string; password: string };
  heap?: string;
}): Promise<ScratchCassandra> {
  const java = requireTool("java");
  const libs = await cassandraLibs();
  const dir = scratchDir("cassandra");
  const conf = join(dir, "conf");
  const data = join(dir, "data");
  mkdirSync(conf, { recursive: true });
  mkdirSync(data, { recursive: true });
  const pki = makeThrowawayPki(dir, "marketpipe-scratch");
  const [nativePort, storagePort, jmxPort] = [
    await freeLoopbackPort(),
    await freeLoopbackPort(),
    await freeLoopbackPort(),
  ];
  writeFileSync(
    join(conf, "cassandra.yaml"),
    cassandraYaml({ data, nativePort, storagePort, pki }),
  );
  writeFileSync(join(conf, "logback.xml"), logback());
  const contactPoint = `127.0.0.1:${nativePort}`;
  const superuser = { name: "cassandra", password: "cassandra" };
  const server = await startScratch({
    name: "cassandra",
    dir,
    command: java,
    args: cassandraJvm({
      heap: options.heap ?? "512m",
      libs,
      conf,
      logDir: dir,
      data,
      jmxPort,
      extra: [
        "-Dcassandra.superuser_setup_delay_ms=0",
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
      ],
    }),
    ready: () => answers(contactPoint, pki, superuser),
    timeoutMs: 180_000,
  });
  const admin = client(contactPoint, pki, superuser);
  try {
    await admin.connect();
    const password = options.user.password.replaceAll("'", "''");
    await admin.execute(
      `CREATE ROLE IF NOT EXISTS ${options.user.name} WITH PASSWORD = '${password}' AND LOGIN = true AND SUPERUSER = true`,
    );
  } catch (error) {
    await server.stop(2_000);
    throw error;
  } finally {
    await admin.shutdown().catch(() => {});
  }
  return { ...server, contactPoint, pki, user: options.user };
}

function client(
  contactPoint: string,
  pki: ThrowawayPki,
  user: { name: string; password: string },
): cassandraDriver.Client {
  return new cassandraDriver.Client({
    contactPoints: [contactPoint],
    localDataCenter: "datacenter1",
    credentials: { username: user.name, password: user.password },
    sslOptions: {
      rejectUnauthorized: true,
      ca: [readFileSync(pki.caCert)],
      cert: readFileSync(pki.clientCert),
      key: readFileSync(pki.clientKey),
    },
    socketOptions: { connectTimeout: 2000, readTimeout: 10_000 },
    pooling: { warmup: false },
  });
}

async function answers(
  contactPoint: string,
  pki: ThrowawayPki,
  user: { name: string; password: string },
): Promise<boolean> {
  const probe = client(contactPoint, pki, user);
  try {
    await probe.connect();
    await probe.execute("SELECT release_version FROM system.local");
    return true;
  } finally {
    await probe.shutdown().catch(() => {});
  }
}

function cassandraYaml(options: {
  data: string;
  nativePort: number;
  storagePort: number;
  pki: ThrowawayPki;
}): string {
  const { data, pki } = options;
  return `cluster_name: marketpipe-scratch
num_tokens: 4
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories: [${join(data, "data")}]
commitlog_directory: ${join(data, "commitlog")}
saved_caches_directory: ${join(data, "saved_caches")}
hints_directory: ${join(data, "hints")}
cdc_raw_directory: ${join(data, "cdc_raw")}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${options.storagePort}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${options.storagePort}
native_transport_port: ${options.nativePort}
start_native_transport: true
endpoint_snitch: SimpleSnitch
authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${pki.serverP12}
  keystore_password: ${pki.storePassword}
  require_client_auth: true
  truststore: ${pki.trustP12}
  truststore_password: ${pki.storePassword}
  store_type: PKCS12
disk_failure_policy: stop
commit_failure_policy: stop
memtable_allocation_type: offheap_objects
batch_size_warn_threshold: 64KiB
batch_size_fail_threshold: 640KiB
`;
}
