package dev.zerospark.pipeline.internal;

import dev.zerospark.config.PipelineConfig;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.augment.AugmentJob;
import dev.zerospark.data.augment.AugmentOptions;
import dev.zerospark.pipeline.Augmenter;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The augment stage's self-instruct: {@link AugmentJob} with {@code pipeline.augment}'s teacher and filters over
 * the articles table. The pairs are encoded with prepare's tokenizer and packed to {@code prepare.seq_len + 1}
 * tokens, the length of an lm_blocks row, so the train stage mixes both in one table. AugmentJob keeps the
 * teacher's generations and inserts only content hashes its output lacks, so no article goes to the teacher twice.
 */
public final class JobAugmenter implements Augmenter {
    private static final Logger LOG = LoggerFactory.getLogger(JobAugmenter.class);
    /** The default output, under prepare.output. */
    static final String SELF_INSTRUCT = "self_instruct";
    private final PipelineConfig.Augment augment;
    private final PrepareConfig prepare;
    private final long seed;

    /** @param seed the teacher's sampling seed (its decoding is greedy: the seed only keys its generations) */
    public JobAugmenter(PipelineConfig.Augment augment, PrepareConfig prepare, long seed) {
        this.augment = augment;
        this.prepare = prepare;
        this.seed = seed;
    }

    /** {@code pipeline.augment.output}, or {@code <prepare.output>/self_instruct}. */
    static String output(PipelineConfig.Augment augment, PrepareConfig prepare) {
        return augment.output() != null ? augment.output() : PrepareJob.table(prepare, SELF_INSTRUCT);
    }

    @Override
    public Outcome augment(SparkSession spark, Request r) {
        String out = output(augment, prepare);
        AugmentOptions o = new AugmentOptions(r.articlesTable(), augment.teacher(), augment.template(), out,
                out.replaceAll("/+$", "") + "_teacher_generations", augment.limit(), prepare.tokenizer(), prepare.seqLen() + 1,
                augment.minWords(), augment.maxWords(), augment.copyThreshold(), augment.maxNewTokens(), seed);
        AugmentJob.Summary s = AugmentJob.run(spark, o);
        LOG.info("pipeline run {}: augment with {} over {}: {} candidates, {} accepted, {} inserted into {} (version {}), rejected {}",
                r.runId(), augment.teacher(), r.articlesTable(), s.candidates(), s.accepted(), s.inserted(), out, s.outputVersion(), s.rejected());
        return new Outcome(s.inserted(), out, s.outputVersion());
    }
}
