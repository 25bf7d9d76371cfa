/**
 * How rows are cut into batches (the logic alone: a recording client and a token map of two
 * replica sets; `e2e/store.test.ts` writes the same shape to the real Cassandra).
 */
import { expect, test } from "bun:test";
import type cassandra from "cassandra-driver";
import { createPartitionWriter, type WriteClient } from "./partition-writes.ts";
import type { RowMapping } from "./rows.ts";

interface Row {
  partition: string;
  n: number;
}

const row: RowMapping<Row> = {
  table: "t",
  columns: ["partition", "n"],
  insert: "INSERT INTO t (partition, n) VALUES (?, ?)",
  values: (r) => [r.partition, r.n],
} as RowMapping<Row>;

/** Records each request's rows; partitions whose name starts with "b" live on other replicas. */
function recorder() {
  const requests: Row[][] = [];
  const client: WriteClient = {
    async execute(_query, params) {
      requests.push([{ partition: params[0] as string, n: params[1] as number }]);
    },
    async batch(queries) {
      requests.push(
        queries.map((q) => ({ partition: q.params[0] as string, n: q.params[1] as number })),
      );
    },
    columnsOf: async () => new Set(row.columns),
  };
  const driver = {
    keyspace: "ks",
    getReplicas: (_keyspace: string, key: Buffer) => [
      { address: key.toString().startsWith("b") ? "10.0.0.2" : "10.0.0.1" },
    ],
  } as unknown as cassandra.Client;
  const write = createPartitionWriter({
    client,
    driver,
    consistency: 1,
    maxConcurrency: 4,
    batchMaxRows: 40,
  });
  return { requests, write };
}

const rowsOf = (partition: string, count: number) =>
  Array.from({ length: count }, (_, n) => ({ partition, n }));

test("with routing: a partition's rows fill batches of their own, the rest share batches of ≤ 10 partitions and ≤ 40 rows on one replica set; every row once", async () => {
  const { requests, write } = recorder();
  const groups = [
    rowsOf("a-hot", 95), // two full batches and a remainder of 15
    ...Array.from({ length: 23 }, (_, i) => rowsOf(`a-quiet${i}`, 1 + (i % 3))),
    ...Array.from({ length: 12 }, (_, i) => rowsOf(`b-quiet${i}`, 2)),
  ];
  const refused = await write(groups, row, (r) => [Buffer.from(r.partition)]);
  expect(refused).toEqual([]);

  const written = requests.flat().map((r) => `${r.partition}#${r.n}`);
  const expected = groups.flat().map((r) => `${r.partition}#${r.n}`);
  expect(written.sort()).toEqual(expected.sort());
  for (const request of requests) {
    const partitions = new Set(request.map((r) => r.partition));
    expect(request.length).toBeLessThanOrEqual(40);
    expect(partitions.size).toBeLessThanOrEqual(10);
    // One replica set per request.
    expect(new Set([...partitions].map((p) => p[0])).size).toBe(1);
  }
  const hotAlone = requests.filter(
    (r) => r.length === 40 && r.every((x) => x.partition === "a-hot"),
  );
  expect(hotAlone).toHaveLength(2);
  // 95 + 46 rows of 24 partitions on one replica set, 24 rows of 12 on the other: far fewer
  // requests than one per partition (36 + the hot one's 3).
  expect(requests.length).toBeLessThanOrEqual(9);
});

test("without routing: one partition per batch, ≤ 40 rows each", async () => {
  const { requests, write } = recorder();
  await write([rowsOf("a", 45), rowsOf("b", 1)], row);
  expect(requests.map((r) => [r[0]?.partition, r.length])).toEqual([
    ["a", 40],
    ["a", 5],
    ["b", 1],
  ]);
});
