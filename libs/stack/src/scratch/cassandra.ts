import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@repo/testkit";
import cassandraDriver from "cassandra-driver";
import {
  type CassandraNode,
  cassandraAnswers,
  nodeClientOptions,
  prepareCassandra,
} from "../components/cassandra.ts";
import { makeThrowawayPki, type ThrowawayPki } from "./certificates.ts";
import { type ScratchServer, scratchDir, startScratch } from "./server.ts";

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
  const dir = scratchDir("cassandra");
  const pki = makeThrowawayPki(dir, "marketpipe-scratch");
  const [nativePort, storagePort, jmxPort] = [await freePort(), await freePort(), await freePort()];
  const node: CassandraNode = {
    clusterName: "marketpipe-scratch",
    address: "127.0.0.1",
    nativePort,
    storagePort,
    jmxPort,
    seeds: [`127.0.0.1:${storagePort}`],
    tokens: { vnodes: 4 },
    tls: pki,
    conf: join(dir, "conf"),
    data: join(dir, "data"),
    heap: options.heap ?? "512m",
    jvmExtra: [
      "-Dcassandra.superuser_setup_delay_ms=0",
      "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    ],
  };
  const superuser = { name: "cassandra", password: "cassandra" };
  const asUser = (user: { name: string; password: string }) =>
    nodeClientOptions(node, {
      credentials: { username: user.name, password: user.password },
      sslOptions: {
        rejectUnauthorized: true,
        ca: [readFileSync(pki.caCert)],
        cert: readFileSync(pki.clientCert),
        key: readFileSync(pki.clientKey),
      },
      socketOptions: { connectTimeout: 2000, readTimeout: 10_000 },
    });
  const server = await startScratch({
    name: "cassandra",
    dir,
    ...(await prepareCassandra(node, dir)),
    ready: () => cassandraAnswers(asUser(superuser)).then(() => true),
    timeoutMs: 180_000,
  });
  const admin = new cassandraDriver.Client(asUser(superuser));
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
  return { ...server, contactPoint: `127.0.0.1:${nativePort}`, pki, user: options.user };
}
