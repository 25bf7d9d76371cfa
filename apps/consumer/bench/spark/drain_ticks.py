"""The consumer bench's Spark baseline: a PySpark Structured Streaming job that drains the bench's
ticks topic into Cassandra's `ticks` table, as a Spark user would write it.

It models a Spark user's ticks-only job (the one issue #26 measured), not the consumer: no bars, no
latest quotes, no dead letters. It follows these documents:
  * Spark Structured Streaming Programming Guide (3.5): `foreachBatch`, `trigger(availableNow=True)`;
  * Structured Streaming + Kafka Integration Guide (3.5): the `kafka` source, `startingOffsets`;
  * Apache Avro Data Source Guide (3.5): `from_avro` on the Avro body (Confluent's 5-byte header of
    magic byte 0 and a 4-byte schema id stripped first: libs/contracts/src/wire.ts), with the writer
    schema read from schemas/Tick.avsc (decimals are `bytes` decimal(18,6));
  * spark-cassandra-connector 3.5 reference (doc/reference.md, doc/14_data_frames.md): DataFrame
    writes with `format("org.apache.spark.sql.cassandra")` in append mode.

Connector settings (everything else is the connector's default: unlogged batches grouped by
partition key up to 1 KiB, 5 concurrent batch writes per task):
  * spark.cassandra.output.consistency.level=LOCAL_QUORUM, as the consumer writes;
  * spark.cassandra.output.ignoreNulls=true: a null column is left unset, not written as a
    tombstone, as the consumer does; so `cancelled` is written only when true.
  * spark.cassandra.connection.localDC: the stack's data centre (the driver refuses to guess).

Usage (spark.ts runs it):
  spark-submit --packages ... drain_ticks.py TOPIC BOOTSTRAP CASSANDRA_HOST:PORT LOCAL_DC KEYSPACE AVSC CHECKPOINT

Prints one JSON line per micro-batch on stdout ({"batch", "startMs", "endMs"}: wall clock, epoch ms)
and a last one with the rows read and the Python driver's own CPU seconds.
"""

import json
import os
import sys
import time

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.avro.functions import from_avro

CONFLUENT_HEADER_BYTES = 5


def tick_rows(raw: DataFrame, tick_schema: str) -> DataFrame:
    """Kafka records (a binary `value` in Confluent wire format) as rows of the `ticks` table."""
    body = F.expr(
        f"substring(value, {CONFLUENT_HEADER_BYTES + 1}, length(value) - {CONFLUENT_HEADER_BYTES})"
    )
    tick = raw.select(from_avro(body, tick_schema).alias("t")).select("t.*")
    return tick.select(
        F.col("symbol"),
        F.to_date(F.col("eventTime")).alias("day"),
        F.unix_micros(F.col("eventTime")).alias("event_time_us"),
        F.col("source"),
        F.col("sequence"),
        F.col("eventTime").alias("event_time"),
        F.col("kind"),
        F.col("price"),
        F.col("size"),
        F.col("bid"),
        F.col("ask"),
        F.col("bidSize").alias("bid_size"),
        F.col("askSize").alias("ask_size"),
        F.col("exchange"),
        F.unix_micros(F.col("ingestTime")).alias("ingest_time_us"),
        F.when(F.col("cancelled"), F.lit(True)).alias("cancelled"),
    )


def main() -> None:
    topic, bootstrap, cassandra, local_dc, keyspace, avsc_path, checkpoint = sys.argv[1:8]
    host, _, port = cassandra.partition(":")
    with open(avsc_path, encoding="utf-8") as f:
        tick_schema = f.read()

    spark = (
        SparkSession.builder.appName("drain_ticks")
        .master("local[*]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.cassandra.connection.host", host)
        .config("spark.cassandra.connection.port", port or "9042")
        .config("spark.cassandra.connection.localDC", local_dc)
        .config("spark.cassandra.output.consistency.level", "LOCAL_QUORUM")
        .config("spark.cassandra.output.ignoreNulls", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")

    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    rows = tick_rows(raw, tick_schema)

    def write_batch(batch: DataFrame, batch_id: int) -> None:
        started = time.time()
        (
            batch.write.format("org.apache.spark.sql.cassandra")
            .mode("append")
            .options(keyspace=keyspace, table="ticks")
            .save()
        )
        ended = time.time()
        print(
            json.dumps({"batch": batch_id, "startMs": started * 1000, "endMs": ended * 1000}),
            flush=True,
        )

    query = (
        rows.writeStream.foreachBatch(write_batch)
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    read = sum(p["numInputRows"] for p in query.recentProgress)
    times = os.times()
    print(json.dumps({"rowsRead": read, "pythonCpuSeconds": times.user + times.system}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
