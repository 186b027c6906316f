// Databricks notebook source
// MAGIC %md
// MAGIC # 3. Retrain, evaluate, promote and generate
// MAGIC One run of the retraining pipeline (what `zerospark pipeline run` and the scheduled jobs in `deploy/` run):
// MAGIC prepare the new article files, continue training from the champion, score candidate and champion on the pinned
// MAGIC evaluation set (perplexity and ROUGE-L), promote the candidate if it is better, then generate riddles with the
// MAGIC champion for the articles that have none from it. Each stage is recorded in `pipeline_runs`; rerunning a failed
// MAGIC run id resumes at the stage that failed. Needs dedicated (single user) compute: training runs barrier stages.

// COMMAND ----------

import dev.zerospark.config.ConfigLoader
import dev.zerospark.pipeline.{Pipeline, PipelineStages}
import dev.zerospark.registry.ModelRegistry
import scala.jdk.CollectionConverters._

val cfg = ConfigLoader.load("dbfs:/zerospark/conf/pipeline.yaml", Map[String, AnyRef](
  "pipeline.registry" -> "s3a://my-bucket/zerospark/registry",   // <registry>/<name>/v<N>, champion, pipeline_runs
  "pipeline.eval.table" -> "dbfs:/zerospark/eval/sft_pairs",      // held-out articles with reference riddles
  "pipeline.eval.version" -> java.lang.Long.valueOf(0),            // pinned: the same set for every run
  "pipeline.promote.metric" -> "rouge_l",                          // or perplexity
  "prepare.input" -> "dbfs:/zerospark/news/inbox/*.jsonl",         // new article files arrive here
  "prepare.output" -> "dbfs:/zerospark/news/tables"
).asJava)

val runId: String = null   // a failed run's id resumes it at the stage that failed
val summary = Pipeline.create(spark, cfg, PipelineStages.of(cfg)).run(runId)
println(summary.toJson)     // outcome: done | nothing_new | failed (with failed_stage and error)

// COMMAND ----------

// MAGIC %md
// MAGIC Every stage of every run: status, start and end, the table versions it read and wrote, its metrics as JSON.

// COMMAND ----------

val registry = ModelRegistry.open(spark, cfg.pipeline.registry, cfg.pipeline.name)
display(spark.read.format("delta").load(registry.uri + "/pipeline_runs").orderBy("started_at"))

// COMMAND ----------

// MAGIC %md
// MAGIC The registry: each promoted version with its eval metrics, the champion, and every champion change
// MAGIC (promotions, manual promotions, rollbacks) with its reason.

// COMMAND ----------

registry.versions.asScala.foreach(v => println(s"${v.label}  ${v.uri}  ${v.metrics.path("eval").path("metrics")}"))
println(s"champion: ${registry.champion.map[String](_.label).orElse("none")}")
display(spark.read.format("delta").load(registry.uri + "/champion_history"))

// COMMAND ----------

// MAGIC %md
// MAGIC The champion's riddles (`pipeline.riddles`, by default `<registry>/<name>/riddles`).

// COMMAND ----------

display(spark.read.format("delta").load(Option(cfg.pipeline.riddles).getOrElse(registry.uri + "/riddles"))
  .select("article_id", "model_id", "completion", "finish_reason").limit(20))
