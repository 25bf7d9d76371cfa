/**
 * The consumer bench's Spark baseline (issue #26: the consumer should drain at least 2× what a
 * Spark job does on the same backlog): runs `spark/drain_ticks.py`, a PySpark Structured Streaming
 * job writing the bench's ticks topic to a fresh keyspace's `ticks` table with the DataStax
 * connector, and meters it like the consumer's drain.
 *
 * Nothing heavy lives in the repository: PySpark (pinned) is pip-installed once into a venv under
 * `~/.cache/marketpipe/spark-venv`, and `spark-submit --packages` fetches the Kafka, Avro and
 * Cassandra connector jars from Maven Central into an Ivy cache beside it.
 *
 * What is measured:
 *   - the rate from the first row written (this side polls `SELECT … LIMIT 1` every 250 ms until a
 *     row is there) to the end of the job's last micro-batch (the job prints each batch's wall-clock
 *     end on stdout), and from `spark-submit`'s start to that end (JVM start-up, Ivy resolution);
 *   - CPU: the whole process tree's (the JVM with Spark's executor threads, and the Python driver
 *     that the JVM waits for) from the child's rusage at exit, Python's own as the job reports it,
 *     and the JVM's and Cassandra's during the writes from /proc;
 *   - that the keyspace ends with exactly the backlog's row count (throws otherwise).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { childEnv } from "@repo/platform/config";
import { localStack, statusOf } from "@repo/stack";
import { brokers, cassandraClient, dropKeyspace, provisionKeyspace, stackEnv } from "@repo/testkit";
import { cpuSecondsOf } from "@repo/testkit/proc";
import { cassandraSettled, fmt } from "./meters.ts";

/** The Spark release the baseline runs; the connector jars below are built for it (Scala 2.12). */
export const PYSPARK_VERSION = "3.5.7";
const PACKAGES = [
  `org.apache.spark:spark-sql-kafka-0-10_2.12:${PYSPARK_VERSION}`,
  `org.apache.spark:spark-avro_2.12:${PYSPARK_VERSION}`,
  "com.datastax.spark:spark-cassandra-connector_2.12:3.5.1",
];
const cacheDir = join(homedir(), ".cache", "marketpipe");
const venvDir = join(cacheDir, "spark-venv");
const ivyDir = join(cacheDir, "spark-ivy");
const jobFile = resolve(import.meta.dir, "spark", "drain_ticks.py");
const tickSchemaFile = resolve(import.meta.dir, "../../../schemas/Tick.avsc");

/** What the Spark baseline measured. */
export interface SparkDrain {
  /** Rows/s from the first row written to the end of the last micro-batch. */
  rate: number;
  /** Rows/s from `spark-submit`'s start to the end of the last micro-batch. */
  withStartup: number;
  /** CPU seconds of the job's whole process tree, start to exit. */
  sparkCpuSeconds: number;
  /** Cassandra's CPU seconds from `spark-submit`'s start to the job's exit. */
  cassandraCpuSeconds: number;
  /** Rows counted in the keyspace afterwards (equal to the backlog, or this throws). */
  rows: number;
}

function run(cmd: string[]) {
  const done = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (done.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed:\n${done.stderr}`);
  return done.stdout.toString().trim();
}

/**
 * The venv's Python and SPARK_HOME, installing the pinned PySpark first when it is missing or
 * another version (once: about 370 MB and half a minute).
 *
 * @example
 * const { python, sparkHome } = ensureSparkVenv();
 */
export function ensureSparkVenv(): { python: string; sparkHome: string } {
  const python = join(venvDir, "bin", "python");
  const probe = () =>
    Bun.spawnSync([
      python,
      "-c",
      "import os, pyspark; print(pyspark.__version__, os.path.dirname(pyspark.__file__))",
    ]);
  let found = existsSync(python) ? probe() : undefined;
  if (found?.exitCode !== 0 || !found.stdout.toString().startsWith(`${PYSPARK_VERSION} `)) {
    const started = performance.now();
    console.log(`installing PySpark ${PYSPARK_VERSION} into ${venvDir} (once; about 370 MB)`);
    mkdirSync(cacheDir, { recursive: true });
    run(["python3", "-m", "venv", venvDir]);
    run([
      python,
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "-q",
      `pyspark==${PYSPARK_VERSION}`,
    ]);
    console.log(`  installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    found = probe();
  }
  const [, sparkHome] = found.stdout.toString().trim().split(" ");
  if (found.exitCode !== 0 || !sparkHome)
    throw new Error(`no PySpark in ${venvDir}: ${found.stderr}`);
  return { python, sparkHome };
}

/** The last `limit` lines of a stream, read to its end (Spark logs a lot on stderr). */
async function tail(stream: ReadableStream<Uint8Array>, limit: number) {
  const lines: string[] = [];
  for await (const line of linesOf(stream)) {
    lines.push(line);
    if (lines.length > limit) lines.shift();
  }
  return lines;
}

async function* linesOf(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop() ?? "";
    yield* parts;
  }
  if (rest) yield rest;
}

/**
 * Drains `topic` (filled with `total` ticks) with the PySpark job into a fresh `keyspace`, prints
 * its rate and CPU, checks the row count and drops the keyspace.
 *
 * @example
 * const spark = await sparkDrain({ topic: s.topic.ticks, total, keyspace: `${s.keyspace}_spark` });
 * console.log(`consumer ÷ Spark: ${(drainRate / spark.rate).toFixed(2)}×`);
 */
export async function sparkDrain({
  topic,
  total,
  keyspace,
}: {
  topic: string;
  total: number;
  keyspace: string;
}): Promise<SparkDrain> {
  const { python, sparkHome } = ensureSparkVenv();
  const checkpoint = mkdtempSync(join(tmpdir(), "bench-spark-"));
  await provisionKeyspace(keyspace);
  const db = await cassandraClient(keyspace);
  try {
    const cassandraPid = (await statusOf(localStack)).find((x) => x.name === "cassandra")?.pid;
    const cassandraCpu = () => (cassandraPid ? cpuSecondsOf(cassandraPid) : Number.NaN);
    const settled = await cassandraSettled();
    const started = performance.now();
    const cassandraAtStart = cassandraCpu();
    const job = Bun.spawn(
      [
        join(venvDir, "bin", "spark-submit"),
        "--master",
        "local[*]",
        "--conf",
        `spark.jars.ivy=${ivyDir}`,
        "--packages",
        PACKAGES.join(","),
        jobFile,
        topic,
        brokers.join(","),
        stackEnv.CASSANDRA_CONTACT_POINTS.split(",")[0] as string,
        stackEnv.CASSANDRA_LOCAL_DC,
        keyspace,
        tickSchemaFile,
        join(checkpoint, "query"),
      ],
      {
        env: childEnv({
          SPARK_HOME: sparkHome,
          PYSPARK_PYTHON: python,
          PYSPARK_DRIVER_PYTHON: python,
        }),
        stdout: "pipe",
        stderr: "pipe",
        // Minutes for a few million ticks; a job that hangs (a broker or node gone) is killed.
        timeout: 1_800_000,
      },
    );
    const stderr = tail(job.stderr, 80);
    let firstStartMs: number | undefined;
    let lastEndMs: number | undefined;
    let pythonCpuSeconds = Number.NaN;
    let rowsRead = Number.NaN;
    /** The JVM's and Cassandra's CPU when the first row was seen and when the last batch ended. */
    let atFirst: { jvm: number; cassandra: number } | undefined;
    let atLast: { jvm: number; cassandra: number } | undefined;
    const stdout = (async () => {
      for await (const line of linesOf(job.stdout)) {
        if (!line.startsWith("{")) continue;
        const report = JSON.parse(line) as {
          startMs?: number;
          endMs?: number;
          rowsRead?: number;
          pythonCpuSeconds?: number;
        };
        firstStartMs ??= report.startMs;
        if (report.endMs !== undefined) {
          lastEndMs = report.endMs;
          atLast = { jvm: cpuSecondsOf(job.pid), cassandra: cassandraCpu() };
        }
        if (report.rowsRead !== undefined) rowsRead = report.rowsRead;
        if (report.pythonCpuSeconds !== undefined) pythonCpuSeconds = report.pythonCpuSeconds;
      }
    })();
    const startedAtMs = Date.now();
    let firstRowMs: number | undefined;
    while (job.exitCode === null && firstRowMs === undefined) {
      if ((await db.execute("SELECT symbol FROM ticks LIMIT 1")).rowLength > 0) {
        firstRowMs = Date.now();
        atFirst = { jvm: cpuSecondsOf(job.pid), cassandra: cassandraCpu() };
      } else await Bun.sleep(250);
    }
    const exitCode = await job.exited;
    const wallSeconds = (performance.now() - started) / 1000;
    await stdout;
    const cassandraCpuSeconds = cassandraCpu() - cassandraAtStart;
    // A backlog written before the first poll saw a row: from the start of the first batch.
    firstRowMs ??= firstStartMs;
    if (exitCode !== 0 || lastEndMs === undefined || firstRowMs === undefined) {
      throw new Error(
        `the Spark job exited ${exitCode}${lastEndMs === undefined ? " without finishing a batch" : ""}; its last log lines:\n${(await stderr).join("\n")}`,
      );
    }
    const sparkCpuSeconds = Number(job.resourceUsage()?.cpuTime.total ?? Number.NaN) / 1e6;
    // Counted page by page: one COUNT(*) over a million rows outlasts Cassandra's own range-read
    // timeout on a busy machine.
    let rows = 0;
    let pageState: string | undefined;
    do {
      const page = await db.execute("SELECT day FROM ticks", [], { fetchSize: 20_000, pageState });
      rows += page.rowLength;
      pageState = page.pageState ?? undefined;
    } while (pageState);
    const rate = total / ((lastEndMs - firstRowMs) / 1000);
    const withStartup = total / ((lastEndMs - startedAtMs) / 1000);
    console.log(
      `Spark drain (PySpark ${PYSPARK_VERSION} Structured Streaming, ticks only): ${fmt(rate)} rows/s from its first write ` +
        `(${fmt(withStartup)} including JVM start-up and Ivy resolution), CPU: spark ${sparkCpuSeconds.toFixed(1)} s, ` +
        `cassandra ${cassandraCpuSeconds.toFixed(1)} s; rows checked: ${fmt(rows)}`,
    );
    const writes = atFirst && atLast ? { first: atFirst, last: atLast } : undefined;
    const writeSeconds = (lastEndMs - firstRowMs) / 1000;
    console.log(
      `  spark-submit to exit ${wallSeconds.toFixed(1)} s (Cassandra idle ${settled.toFixed(1)} s before); first row after ${((firstRowMs - startedAtMs) / 1000).toFixed(1)} s, ` +
        `writes ${writeSeconds.toFixed(1)} s; ${fmt(rowsRead)} rows read from Kafka; whole run CPU: JVM and launcher ${(sparkCpuSeconds - pythonCpuSeconds).toFixed(1)} s, Python driver ${pythonCpuSeconds.toFixed(1)} s` +
        (writes
          ? `; during the writes: JVM ${(writes.last.jvm - writes.first.jvm).toFixed(1)} s, cassandra ${(writes.last.cassandra - writes.first.cassandra).toFixed(1)} s; ` +
            `per tick: JVM ${fmt(((writes.last.jvm - writes.first.jvm) * 1e6) / total)} µs, cassandra ${fmt(((writes.last.cassandra - writes.first.cassandra) * 1e6) / total)} µs`
          : ""),
    );
    if (rows !== total) {
      throw new Error(`the Spark job left ${rows} rows in ${keyspace}.ticks, not ${total}`);
    }
    return { rate, withStartup, sparkCpuSeconds, cassandraCpuSeconds, rows };
  } finally {
    await db.shutdown().catch(() => {});
    await dropKeyspace(keyspace).catch(() => {});
    rmSync(checkpoint, { recursive: true, force: true });
  }
}
