package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.pipeline.Augmenter;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.pipeline.StageStatus;

import java.util.Map;

/**
 * Self-instruct targets for new articles, through the {@link Augmenter} the pipeline was built with. Records the
 * table the targets went to ({@code metrics.table}) and its version after the call (the output version under that
 * table's URI): the train stage mixes the rows that version added. Skipped when this run's prepare added no
 * article, since only new articles lack a target the teacher has not been asked for.
 */
public final class AugmentStage implements Stage {
    private final Augmenter augmenter;

    public AugmentStage(Augmenter augmenter) {
        this.augmenter = augmenter;
    }

    @Override
    public String name() {
        return AUGMENT;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        if (augmenter == null) throw new IllegalStateException("the augment stage is not available in this build");
        boolean prepared = ctx.done(PREPARE).map(StageRecord::status).orElse(null) == StageStatus.SUCCEEDED;
        if (prepared && ctx.metricsOf(PREPARE).path("new_articles").asLong(-1) == 0) {
            return StageResult.skipped("no new articles: prepare added 0, so there is none for the teacher");
        }
        String articles = PrepareJob.table(ctx.config().prepare(), PrepareJob.ARTICLES);
        Long pinned = ctx.done(PREPARE).map(StageRecord::outputVersions).map(v -> v.get(PrepareJob.ARTICLES)).orElse(null);
        long version = pinned != null ? pinned : TrainingMix.latestVersion(ctx.spark(), articles);
        Augmenter.Outcome o = augmenter.augment(ctx.spark(), new Augmenter.Request(articles, version, ctx.runId()));
        return StageResult.succeeded(Map.of(PrepareJob.ARTICLES, version), Map.of(o.table(), o.tableVersion()),
                JsonNodeFactory.instance.objectNode().put("written", o.written()).put("table", o.table()));
    }
}
