// Databricks notebook source
// MAGIC %md
// MAGIC # 1. Prepare an article archive for training
// MAGIC Attach the zerospark fat jar (`deploy/target/zerospark-0.1.0-SNAPSHOT-all.jar`) to the cluster as a library and
// MAGIC set `spark.driver.extraJavaOptions` / `spark.executor.extraJavaOptions` to `-Dai.djl.offline=true`.
// MAGIC The job ingests, cleans, deduplicates, tokenizes and packs the articles into Delta tables under `output`.

// COMMAND ----------

import dev.zerospark.config.ConfigLoader
import dev.zerospark.data.PrepareJob
import scala.jdk.CollectionConverters._

val output = "dbfs:/zerospark/news/tables"
val config = ConfigLoader.load(null, Map[String, AnyRef](
  "prepare.input" -> "dbfs:/archive/articles/*.jsonl",
  "prepare.format" -> "jsonl",
  "prepare.tokenizer" -> "/dbfs/zerospark/tokenizer",   // a folder with tokenizer.json, on the driver's local FS
  "prepare.output" -> output,
  "prepare.seq_len" -> Integer.valueOf(512)
).asJava).prepare()

val result = PrepareJob.run(spark, config)
println(result.toJson)

// COMMAND ----------

// MAGIC %md Every input row is accounted for: `input = clean + quarantined + duplicates + near_duplicates`; WARC records that are no article (request, warcinfo, metadata) are counted under `skipped`.

// COMMAND ----------

display(spark.read.format("delta").load(s"$output/quarantine").groupBy("reason").count())
