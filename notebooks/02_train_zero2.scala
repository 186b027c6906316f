// Databricks notebook source
// MAGIC %md
// MAGIC # 2. Fine-tune with ZeRO-2 on the cluster
// MAGIC One barrier task per GPU (set `spark.task.resource.gpu.amount 1` and `spark.executor.resource.gpu.amount`),
// MAGIC or per CPU slot. Checkpoints go to any Hadoop URI; `resume = true` continues from the newest intact one.

// COMMAND ----------

import dev.zerospark.config.ConfigLoader
import dev.zerospark.training.TrainJob
import scala.jdk.CollectionConverters._

val train = ConfigLoader.load(null, Map[String, AnyRef](
  "train.model" -> "dbfs:/zerospark/models/base",           // HF directory (copied to local disk by each rank)
  "train.data" -> "dbfs:/zerospark/news/tables/sft_pairs",  // or lm_blocks
  "train.world_size" -> Integer.valueOf(4),
  "train.zero.stage" -> Integer.valueOf(2),
  "train.steps" -> Integer.valueOf(2000),
  "train.micro_batch_size" -> Integer.valueOf(4),
  "train.grad_accum" -> Integer.valueOf(4),
  "train.checkpoint_dir" -> "s3a://my-bucket/zerospark/run-1/ckpt",
  "train.checkpoint_interval" -> Integer.valueOf(200),
  "train.run_dir" -> "dbfs:/zerospark/run-1",
  "train.resume" -> java.lang.Boolean.TRUE
).asJava).train()

val result = TrainJob.run(spark, train)
println(s"restarts: ${result.restarts}, loss plot: ${result.reportUri}")

// COMMAND ----------

display(spark.read.format("delta").load(result.metricsTable))
