"""Score an intake file with Apache Spark, using the scorer `screener batch` uses.

    pip install 'screener[parquet]' pyspark
    python examples/spark_score.py INTAKE.csv|INTAKE.parquet OUTPUT_FOLDER

Runs in Spark's local mode (`local[2]`); on a cluster, create the session as usual and make
sure every executor's Python has screener installed. The `row` column added here numbers the
rows as `screener batch` does, so the output matches a local run row for row.
"""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from screener.io.spark import SPARK_SCHEMA, score_arrow


def main(source: str, target: str) -> None:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers' Python: the one with screener
    spark = SparkSession.builder.master("local[2]").appName("screener").getOrCreate()
    try:
        reader = spark.read.option("header", True).option("multiLine", True).option("inferSchema", False)
        frame = spark.read.parquet(source) if source.endswith(".parquet") else reader.csv(source)
        numbered = frame.rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1] + 1)).toDF([*frame.columns, "row"])
        scored = numbered.mapInArrow(score_arrow, SPARK_SCHEMA).orderBy("row")
        scored.coalesce(1).write.mode("overwrite").option("header", True).csv(target)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:3])
