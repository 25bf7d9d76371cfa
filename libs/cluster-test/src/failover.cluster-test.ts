/**
 * The pipeline on production shapes — three KRaft brokers, topics with RF 3 and min.insync.replicas
 * 2, a three-node Cassandra ring with the keyspace at NetworkTopologyStrategy RF 3, LOCAL_QUORUM,
 * acks=all, two consumer replicas in one group — while the simulator streams at a steady rate: one
 * broker is killed with SIGKILL, later one Cassandra node, then both are brought back. A quorum
 * always holds, so the stream keeps flowing and every service is ready with the nodes down (not
 * ready only while the failure detectors catch up) and recovers by itself; afterwards every tick is
 * exactly one row and every bar equals its ticks.
 *
 * Run by `bun run test:cluster` (which starts the cluster); never by `bun test`'s default glob.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ConfigResourceTypes } from "@platformatic/kafka";
import { CLUSTER_DC, cluster, killServers, serverNamed, upTopology } from "@repo/stack";
import {
  barsFromStoredTicks,
  type ConsumerStats,
  consumersCaughtUp,
  eventually,
  type IngestStats,
  ingestSettled,
  type ProducerStats,
  type RunningService,
  simulatorEnv,
  storedBars,
} from "@repo/testkit";
import cassandra from "cassandra-driver";
import {
  clusterRss,
  describeCluster,
  describePartitions,
  hostsSeen,
  partitionStates,
} from "./cluster.ts";
import {
  adminOf,
  type ClusterPipeline,
  clusterTarget,
  startClusterPipeline,
  writtenByConsumers,
} from "./pipeline.ts";

const RATE = 100;
/** 90 s of stream at RATE: both nodes die while it flows (about 10 s and 30 s in). */
const TICK_LIMIT = 9_000;
/** Ticks the consumers must write while a node is down: 10 s of stream. */
const FLOW_WHILE_DOWN = 1_000;
const BROKER = "kafka-2";
const BROKER_ID = 2;
const NODE = "cassandra-3";
const NODE_ADDRESS = "127.0.0.13:9042";

/** Upper bounds of each wait (normal runs take a fraction); their sum bounds the test. */
const WAIT = {
  streaming: 60_000,
  failover: 60_000,
  flowWhileDown: 60_000,
  /** A restarted broker's own ready timeout (`upTopology` waits for it). */
  brokerBack: 90_000,
  inSync: 60_000,
  nodeSeenDown: 30_000,
  /** A restarted Cassandra node's own ready timeout. */
  nodeBack: 180_000,
  nodeSeen: 60_000,
  ingestSettled: 180_000,
  caughtUp: 120_000,
  verify: 60_000,
  allReady: 30_000,
};
/**
 * The longest a service may answer not ready at a stretch while a quorum holds: the time the
 * failure detectors take to notice a dead node. Seen here: right after a broker dies, the producer's
 * Kafka probe (a 2 s metadata request) fails for a few seconds until the controller fences it (9 s
 * session timeout); after a Cassandra node dies, the registry's `GET /subjects` (a ring-wide index
 * query, the producer's and consumer's registry probe) fails until the ring convicts the node
 * (5–12 s here, longer when the cores are busy).
 */
const MAX_NOT_READY_MS = 20_000;
const TEST_TIMEOUT = Object.values(WAIT).reduce((sum, ms) => sum + ms, 0) + 60_000;

let pipeline: ClusterPipeline;
const admin = adminOf(clusterTarget);

beforeAll(async () => {
  const down = (await describeCluster()).split("\n").filter((line) => line.includes(" down "));
  if (down.length > 0)
    throw new Error(`the cluster is not up (run \`bun run test:cluster\`):\n${down.join("\n")}`);
  pipeline = await startClusterPipeline("failover", clusterTarget, {
    consumers: 2,
    api: true,
    more: async () =>
      `${await describeCluster()}\n--- partitions ---\n${await partitionStates(admin, [
        `${pipeline.prefix}market.ticks`,
      ])
        .then(describePartitions)
        .catch((e: Error) => `(no metadata: ${e.message})`)}`,
  });
}, 300_000);

afterAll(async () => {
  await pipeline?.close();
  await admin.close().catch(() => {});
});

test("provisioning from configuration gives production shapes: RF 3, min.insync.replicas 2, NetworkTopologyStrategy RF 3 over three racks", async () => {
  const topics = ["market.ticks", "market.bars.1m", "market.ticks.dlq"].map(
    (t) => `${pipeline.prefix}${t}`,
  );
  const states = await partitionStates(admin, topics);
  expect(states.length).toBe(6 + 6 + 3);
  for (const state of states) expect([...state.replicas].sort()).toEqual([1, 2, 3]);
  const configs = await admin.describeConfigs({
    resources: topics.map((resourceName) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName,
      configurationKeys: ["min.insync.replicas"],
    })),
  });
  expect(configs.map((c) => c.configs[0]?.value)).toEqual(["2", "2", "2"]);

  const keyspace = await pipeline.db.execute(
    "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
    [pipeline.keyspace],
  );
  expect(keyspace.first()?.get("replication")).toEqual({
    class: "org.apache.cassandra.locator.NetworkTopologyStrategy",
    [CLUSTER_DC]: "3",
  });
  const hosts = pipeline.db.hosts.values();
  expect(hosts.map((h) => `${h.datacenter}/${h.rack}`).sort()).toEqual([
    `${CLUSTER_DC}/rack1`,
    `${CLUSTER_DC}/rack2`,
    `${CLUSTER_DC}/rack3`,
  ]);
  console.log(`provisioned on the cluster:\n${pipeline.provisioning.trimEnd()}`);
});

test(
  "a broker and then a Cassandra node killed mid-stream and brought back: the stream flows, services stay ready and recover by themselves, every tick is one row, bars equal their ticks",
  async () => {
    const { diagnose, consumers } = pipeline;
    const api = pipeline.api as RunningService;
    const ticksTopic = `${pipeline.prefix}market.ticks`;
    const topics = ["market.ticks", "market.bars.1m", "market.ticks.dlq"].map(
      (t) => `${pipeline.prefix}${t}`,
    );
    const started = Date.now();
    const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const phase = (line: string) => console.log(`[${at()}] ${line}`);

    const ingest = await pipeline.startIngest(
      simulatorEnv({
        symbols: ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META"],
        rate: RATE,
        limit: TICK_LIMIT,
        seed: 15,
      }),
    );
    const services = [...pipeline.services];
    const forwarded = async () => (await ingest.json<IngestStats>("/stats")).records.forwarded;
    /** Partitions of the ticks topic each consumer owns now. */
    const assignments = async () =>
      (await Promise.all(consumers.map((c) => c.json<ConsumerStats>("/stats")))).map((s) =>
        Object.keys(s.lag.byPartition),
      );
    const bothAssigned = async () => {
      const owned = await assignments();
      return owned.every((partitions) => partitions.length > 0) && owned.flat().length === 6
        ? owned
        : undefined;
    };
    const flowsWhileDown = async (what: string) => {
      const before = await writtenByConsumers(consumers);
      await eventually(
        async () =>
          (await writtenByConsumers(consumers)) >= before + FLOW_WHILE_DOWN ? true : undefined,
        {
          timeoutMs: WAIT.flowWhileDown,
          message: `the consumers did not write ${FLOW_WHILE_DOWN} more ticks while ${what} was down`,
          diagnose,
        },
      );
    };

    /** Every service answers `/readyz` 200 in the same round. */
    const allReady = (while_: string) =>
      eventually(
        async () => {
          const answers = await Promise.all(
            services.map((service) =>
              fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(3_000) }),
            ),
          );
          return answers.every((answer) => answer.status === 200) ? true : undefined;
        },
        {
          timeoutMs: WAIT.allReady,
          message: `not every service reported ready with ${while_}`,
          diagnose,
        },
      );

    const shared = await eventually(
      async () =>
        (await forwarded()) >= 1_000 && (await writtenByConsumers(consumers)) >= 500
          ? await bothAssigned()
          : undefined,
      {
        timeoutMs: WAIT.streaming,
        message:
          "the stream did not reach 1,000 forwarded and 500 written ticks with both consumers owning partitions",
        diagnose,
      },
    );
    phase(`streaming at ${RATE}/s; consumers own partitions ${JSON.stringify(shared)}`);

    // --- a broker dies mid-stream ---
    const ledBefore = (await partitionStates(admin, [ticksTopic])).filter(
      (p) => p.leader === BROKER_ID,
    );
    expect(ledBefore.length).toBeGreaterThan(0);
    expect(await forwarded()).toBeLessThan(TICK_LIMIT);
    const readiness = sampleReadiness(services, at);
    await killServers(cluster, [serverNamed(cluster, BROKER)]);
    phase(`killed ${BROKER} (SIGKILL); it led ${ledBefore.length} of 6 tick partitions`);
    const failedOver = await eventually(
      async () => {
        const states = await partitionStates(admin, topics);
        const moved = states.every(
          (s) => s.leader !== BROKER_ID && s.leader >= 0 && !s.isr.includes(BROKER_ID),
        );
        return moved ? states : undefined;
      },
      {
        timeoutMs: WAIT.failover,
        message: `partitions did not move off ${BROKER} (leaders elsewhere, ISR without it)`,
        diagnose,
      },
    );
    phase(
      `leaders moved off ${BROKER}; ISR 2 of 3 on all ${failedOver.length} partitions (under-replicated, min.insync.replicas 2 still met)`,
    );
    await flowsWhileDown(BROKER);
    await allReady(`${BROKER} down`);
    phase(
      `${FLOW_WHILE_DOWN} more ticks written with ${BROKER} down, every service ready; partitions ${JSON.stringify(await bothAssigned())}`,
    );

    // --- later, a Cassandra node dies too ---
    expect(await forwarded()).toBeLessThan(TICK_LIMIT);
    await killServers(cluster, [serverNamed(cluster, NODE)]);
    phase(`killed ${NODE} (SIGKILL) while ${BROKER} is still down`);
    await eventually(async () => (hostsSeen(pipeline.db).get(NODE_ADDRESS) ? undefined : true), {
      timeoutMs: WAIT.nodeSeenDown,
      message: `the driver did not see ${NODE_ADDRESS} go down`,
      diagnose,
    });
    await flowsWhileDown(NODE);
    const bars = await fetch(`${api.url}/v1/bars/AAPL?interval=1m`);
    expect(bars.status).toBe(200);
    await allReady(`${BROKER} and ${NODE} down`);
    phase(
      `${FLOW_WHILE_DOWN} more ticks written at LOCAL_QUORUM with ${NODE} down too, the api reads bars, every service ready; partitions ${JSON.stringify(await bothAssigned())}`,
    );

    // --- both come back ---
    await Promise.all([
      (async () => {
        await upTopology(cluster, [serverNamed(cluster, BROKER)]);
        phase(`${BROKER} restarted and answering`);
        await eventually(
          async () =>
            (await partitionStates(admin, topics)).every((s) => s.isr.length === 3)
              ? true
              : undefined,
          {
            timeoutMs: WAIT.inSync,
            message: `${BROKER} did not rejoin the ISR of every partition`,
            diagnose,
          },
        );
        phase(`${BROKER} back in the ISR of every partition`);
      })(),
      (async () => {
        await upTopology(cluster, [serverNamed(cluster, NODE)]);
        phase(`${NODE} restarted and answering`);
        await eventually(
          async () => ([...hostsSeen(pipeline.db).values()].every(Boolean) ? true : undefined),
          {
            timeoutMs: WAIT.nodeSeen,
            message: `the driver did not see ${NODE} up again`,
            diagnose,
          },
        );
        phase(`${NODE} seen up by the driver`);
      })(),
    ]);
    await allReady("both nodes returned");
    const away = await readiness.stop();
    phase(
      `/readyz from the first kill until both returned: ${away.samples} answers, ${away.notReady.length} not ready, ` +
        `longest not-ready stretch by service ${JSON.stringify(away.longestNotReadyMs)}${away.notReady.map((line) => `\n  ${line}`).join("")}`,
    );
    const notReadyTooLong = Object.entries(away.longestNotReadyMs).filter(
      ([, ms]) => ms > MAX_NOT_READY_MS,
    );
    expect(notReadyTooLong).toEqual([]);

    // --- everything accounted for ---
    const ingested = await ingestSettled(ingest, TICK_LIMIT, {
      timeoutMs: WAIT.ingestSettled,
      diagnose,
    });
    expect(ingested.records.dropped).toBe(0);
    expect(ingested.records.forwarded).toBe(TICK_LIMIT);
    const final = await consumersCaughtUp(consumers, TICK_LIMIT, {
      timeoutMs: WAIT.caughtUp,
      diagnose,
    });
    phase(`stream done: ${TICK_LIMIT} ticks forwarded, both consumers at lag 0`);
    for (const stats of final) {
      expect(Object.keys(stats.lag.byPartition).length).toBeGreaterThan(0);
      expect(stats.records.written).toBeGreaterThan(0);
      expect(stats.records.deadLettered).toBe(0);
    }
    for (const service of services) expect(service.ended()).toBeUndefined();

    // Reads right after a node returned may time out while it warms up: retried, never weakened.
    const rows = await eventually(() => countRows(pipeline.db, quorum), {
      timeoutMs: WAIT.verify,
      message: "the ticks table could not be read at LOCAL_QUORUM",
      diagnose,
    });
    expect(rows).toBe(TICK_LIMIT);
    const [stored, expected] = await eventually(
      () => Promise.all([storedBars(pipeline.db), barsFromStoredTicks(pipeline.db)]),
      { timeoutMs: WAIT.verify, message: "bars_1m and ticks could not be read", diagnose },
    );
    expect(stored.size).toBeGreaterThan(0);
    expect(stored).toEqual(expected);
    const onEveryReplica = await eventually(() => countRows(pipeline.db, all), {
      timeoutMs: WAIT.verify,
      message: "the ticks table could not be read at consistency ALL",
      diagnose,
    });
    expect(onEveryReplica).toBe(TICK_LIMIT);

    const producer = await pipeline.producer.json<ProducerStats>("/stats");
    const rss = await clusterRss();
    phase(
      `${rows} rows (at LOCAL_QUORUM and at ALL), ${stored.size} bars equal to their ticks; ` +
        `producer: ${producer.records.delivered} delivered, ${producer.records.failed} deliveries failed and were retried; ` +
        `written per consumer ${final.map((s) => s.records.written).join(" + ")}; cluster RSS ${rss.total} MiB (${rss.each})`,
    );
  },
  TEST_TIMEOUT,
);

/** What `/readyz` answered during an outage, per service. */
interface ReadinessReport {
  samples: number;
  /** Answers other than 200, with the seconds since sampling began. */
  notReady: string[];
  /** The longest run of consecutive not-ready answers, in ms, by service. */
  longestNotReadyMs: Record<string, number>;
}

const { localQuorum: quorum, all } = cassandra.types.consistencies;

/** Rows of the ticks table, paged (a whole-table count(*) times out on a node that just returned). */
async function countRows(db: cassandra.Client, consistency: number): Promise<number> {
  let rows = 0;
  const result = await db.execute("SELECT symbol FROM ticks", [], {
    prepare: true,
    fetchSize: 2_000,
    consistency,
  });
  for await (const _ of result) rows += 1;
  return rows;
}

/**
 * Polls every service's `/readyz` every 250 ms until stopped and reports the answers that were not
 * 200 and how long each service stayed not ready at a stretch.
 */
function sampleReadiness(services: RunningService[], at: () => string) {
  const report: ReadinessReport = { samples: 0, notReady: [], longestNotReadyMs: {} };
  const since = new Map<string, number>();
  let running = true;
  const record = (service: RunningService, ready: boolean, why: string) => {
    report.samples += 1;
    const now = Date.now();
    if (ready) {
      since.delete(service.name + service.url);
      return;
    }
    report.notReady.push(`[${at()}] ${service.name}: ${why}`);
    const from = since.get(service.name + service.url) ?? now;
    since.set(service.name + service.url, from);
    const key = `${service.name} ${service.url}`;
    report.longestNotReadyMs[key] = Math.max(report.longestNotReadyMs[key] ?? 0, now - from);
  };
  const loop = (async () => {
    while (running) {
      await Promise.all(
        services.map(async (service) => {
          try {
            const response = await fetch(`${service.url}/readyz`, {
              signal: AbortSignal.timeout(3_000),
            });
            const body = await response.text();
            record(service, response.status === 200, `${response.status} ${body}`);
          } catch (error) {
            record(service, false, `no answer (${(error as Error).message})`);
          }
        }),
      );
      await Bun.sleep(250);
    }
  })();
  return {
    async stop(): Promise<ReadinessReport> {
      running = false;
      await loop;
      return report;
    },
  };
}
