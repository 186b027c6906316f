package dev.zerospark.pipeline.internal;

import dev.zerospark.config.GenerateConfig;
import dev.zerospark.data.generate.GenerateJob;
import dev.zerospark.data.generate.GenerateOptions;
import dev.zerospark.data.generate.GenerateSummary;
import dev.zerospark.pipeline.RiddleGenerator;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generate stage's riddles: {@link GenerateJob} with the champion over the articles table at the pinned version,
 * decoding as the {@code generate} section says (its model, input and output keys are the pipeline's, not read).
 * The generations table is keyed by (article_id, model_id, pipeline, params_hash) and the job leaves out the
 * articles it already holds for that key, so only articles without a riddle from this champion are generated, and a
 * rerun after a failure writes only what is missing.
 */
public final class JobRiddleGenerator implements RiddleGenerator {
    private static final Logger LOG = LoggerFactory.getLogger(JobRiddleGenerator.class);
    private final GenerateConfig decoding;

    public JobRiddleGenerator(GenerateConfig decoding) {
        this.decoding = decoding;
    }

    @Override
    public Outcome generate(SparkSession spark, Request r) {
        GenerateConfig g = decoding;
        GenerateOptions o = new GenerateOptions(r.modelUri(), r.articlesTable(), r.riddlesTable(), g.template(), r.articlesVersion(),
                g.where(), g.limit(), g.idCol(), g.textCol(), g.titleCol(), g.maxNewTokens(), g.temperature(), g.topK(), g.topP(),
                g.seed(), g.stop(), g.dtype(), g.batchTokens(), g.partitions(), GenerateOptions.DEFAULT_ROWS_PER_TASK);
        GenerateSummary s = GenerateJob.run(spark, o);
        LOG.info("pipeline run {}: generate with {} over {} version {}: {}", r.runId(), r.modelId(), r.articlesTable(), r.articlesVersion(), s.toJson());
        return new Outcome(s.generated(), r.riddlesTable(), s.outputVersion());
    }
}
