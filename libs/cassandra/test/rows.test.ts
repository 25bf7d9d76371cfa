import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { sampleTick } from "@repo/contracts/fixtures";
import { cassandraEnv, loadConfig } from "@repo/platform/config";
import type cassandra from "cassandra-driver";
import { createCassandraClient } from "../src/client.ts";
import { BARS_1M, columnList, LATEST_QUOTES, TICKS } from "../src/layout.ts";
import { partitionDay } from "../src/local-date.ts";
import { migrate } from "../src/migrate.ts";
import { BAR_ROW_COLUMNS, barRowOf, barWriter, type WrittenBar } from "../src/rows/bars.ts";
import { versionBytes } from "../src/rows/encode.ts";
import { latestQuoteWriter, type StoredTick, tickReader, tickWriter } from "../src/rows/ticks.ts";
import type { RowWriter } from "../src/rows/write.ts";

const minute = Date.UTC(2026, 0, 5, 15, 30) * 1000;

/** A quote with a 6-place price, no exchange (a null optional) and no ask size. */
const quote: StoredTick<string> = sampleTick({
  source: "sim",
  symbol: "RTQ",
  kind: "QUOTE",
  eventTime: minute + 123_456,
  sequence: 9_007_199_254_740_991,
  price: "187.123456",
  size: 0,
  bid: "187.120000",
  ask: "187.13",
  bidSize: 300,
  askSize: null,
  exchange: null,
  ingestTime: minute + 200_000,
  cancelled: false,
});

/** A cancelled trade with every optional absent. */
const cancel: StoredTick<string> = sampleTick({
  source: "sim",
  symbol: "RTQ",
  kind: "TRADE",
  eventTime: minute + 5,
  sequence: 1,
  price: "0.000001",
  size: 100,
  bid: null,
  ask: null,
  bidSize: null,
  askSize: null,
  exchange: null,
  ingestTime: minute + 9,
  cancelled: true,
});

describe("the row writers and readers of @repo/cassandra against a migrated keyspace", () => {
  const keyspace = `rows_${randomBytes(5).toString("hex")}`;
  const settings = {
    CASSANDRA_CONTACT_POINTS: loadConfig(cassandraEnv).CASSANDRA_CONTACT_POINTS,
    CASSANDRA_LOCAL_DC: "datacenter1",
  };
  let admin: cassandra.Client;
  let client: cassandra.Client;
  const write = <T>(writer: RowWriter<T>, record: T, ...after: unknown[]) =>
    client.execute(writer.insert, [...writer.values(record), ...after], { prepare: true });

  beforeAll(async () => {
    admin = createCassandraClient(settings);
    await admin.connect();
    await migrate(admin, {
      keyspace,
      replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    });
    client = createCassandraClient(settings, { keyspace });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client?.shutdown();
    await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await admin.shutdown();
  });

  const ticks = tickReader(String);
  const ticksOf = async (symbol: string, columns = ticks.columns) => {
    const result = await client.execute(
      `SELECT ${columns} FROM ${TICKS.name} WHERE symbol = ? AND day = ?`,
      [symbol, partitionDay(minute)],
      { prepare: true },
    );
    return result.rows.map(ticks.read);
  };

  test("ticks written by tickWriter read back through tickReader field for field (nulls, 6 decimal places, cancelled)", async () => {
    await write(tickWriter, quote);
    await write(tickWriter, cancel);
    expect(await ticksOf("RTQ")).toEqual([quote, cancel]);
    expect(await ticksOf("RTQ", ticks.textColumns)).toEqual([quote, cancel]);
  });

  test("an absent optional leaves a tick's stored column as it was; a standing copy of a cancel leaves it cancelled", async () => {
    const first = { ...quote, symbol: "RTU", exchange: "XNAS" };
    await write(tickWriter, first);
    await write(tickWriter, { ...first, exchange: null });
    await write(tickWriter, { ...cancel, symbol: "RTU" });
    await write(tickWriter, { ...cancel, symbol: "RTU", cancelled: false });
    expect(await ticksOf("RTU")).toEqual([first, { ...cancel, symbol: "RTU" }]);
  });

  test("the latest quote written by latestQuoteWriter reads back whole; a newer one clears the optionals it lacks", async () => {
    const latest = async () => {
      const result = await client.execute(
        `SELECT ${ticks.columns} FROM ${LATEST_QUOTES.name} WHERE symbol = ?`,
        ["RTL"],
        { prepare: true },
      );
      return result.rows.map(ticks.read);
    };
    const older = { ...quote, symbol: "RTL", exchange: "XNAS", askSize: 200 };
    await write(latestQuoteWriter, older, versionBytes(older.eventTime, 0));
    expect(await latest()).toEqual([older]);
    const newer = { ...quote, symbol: "RTL", eventTime: quote.eventTime + 1 };
    await write(latestQuoteWriter, newer, versionBytes(newer.eventTime, 0));
    expect(await latest()).toEqual([newer]);
  });

  test("a bar written by barWriter reads back through barRowOf column for column", async () => {
    const bar: WrittenBar = {
      symbol: "RTB",
      start: minute,
      open: "187.250000",
      high: "188.5",
      low: "-0.000001",
      close: "187.123456",
      volume: 9_007_199_254_740_991,
      vwap: "187.2",
      trades: 42,
    };
    const before = Date.now() - 1000;
    await write(barWriter, bar, versionBytes(bar.start + bar.trades, 0));
    const result = await client.execute(
      `SELECT ${columnList(BARS_1M, [...BAR_ROW_COLUMNS, "updated_at"])} FROM ${BARS_1M.name} WHERE symbol = ? AND day = ?`,
      [bar.symbol, partitionDay(bar.start)],
      { prepare: true },
    );
    expect(result.rows.map((row) => barRowOf(row, String))).toEqual([
      {
        start: minute,
        open: "187.250000",
        high: "188.5",
        low: "-0.000001",
        close: "187.123456",
        volume: 9_007_199_254_740_991n,
        vwap: "187.2",
        trades: 42n,
      },
    ]);
    expect((result.first().get("updated_at") as Date).getTime()).toBeGreaterThanOrEqual(before);
  });
});
