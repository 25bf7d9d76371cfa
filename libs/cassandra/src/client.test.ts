import { expect, test } from "bun:test";
import cassandra from "cassandra-driver";
import { createServiceClient } from "./client.ts";

test("a service's client is bound to the configured keyspace at the configured consistency", async () => {
  const { client, consistency } = createServiceClient(
    {
      CASSANDRA_CONTACT_POINTS: ["127.0.0.1:9042"],
      CASSANDRA_LOCAL_DC: "datacenter1",
      CASSANDRA_KEYSPACE: "market_test",
      CASSANDRA_CONSISTENCY: "LOCAL_ONE",
    },
    "analytics",
  );
  expect(consistency).toBe(cassandra.types.consistencies.localOne);
  expect(client.keyspace).toBe("market_test");
  // The driver keeps the options it was built with (`Client.options`, not in its typings).
  const { options } = client as unknown as {
    options: cassandra.ClientOptions & { applicationName?: string };
  };
  expect(options.queryOptions?.consistency).toBe(consistency);
  expect(options.applicationName).toBe("analytics");
  await client.shutdown();
  expect(() =>
    createServiceClient(
      {
        CASSANDRA_CONTACT_POINTS: ["127.0.0.1:9042"],
        CASSANDRA_LOCAL_DC: "datacenter1",
        CASSANDRA_KEYSPACE: "k",
        CASSANDRA_CONSISTENCY: "MOST",
      },
      "x",
    ),
  ).toThrow('unknown consistency level "MOST"');
});
