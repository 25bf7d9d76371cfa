import { createCassandraClient, migrate } from "@repo/cassandra";
import type cassandra from "cassandra-driver";
import { stackEnv } from "./env.ts";

const settings = {
  CASSANDRA_CONTACT_POINTS: stackEnv.CASSANDRA_CONTACT_POINTS.split(","),
  CASSANDRA_LOCAL_DC: stackEnv.CASSANDRA_LOCAL_DC,
};

/** A connected driver client (optionally bound to a keyspace); shut it down in afterAll. */
export async function cassandraClient(keyspace?: string): Promise<cassandra.Client> {
  const client = createCassandraClient(settings, keyspace ? { keyspace } : {});
  await client.connect();
  return client;
}

/** Creates `keyspace` and applies every cql/ migration to it (SimpleStrategy RF 1). */
export async function provisionKeyspace(keyspace: string): Promise<void> {
  const client = await cassandraClient();
  try {
    await migrate(client, {
      keyspace,
      replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    });
  } finally {
    await client.shutdown();
  }
}

/** Drops a test keyspace (best effort). */
export async function dropKeyspace(keyspace: string): Promise<void> {
  const client = await cassandraClient();
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  } finally {
    await client.shutdown();
  }
}
