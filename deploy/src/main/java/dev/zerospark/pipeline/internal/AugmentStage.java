package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.pipeline.Augmenter;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageResult;

import java.util.Map;

/** Self-instruct targets for new articles, through the {@link Augmenter} the pipeline was built with. */
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
        String articles = PrepareJob.table(ctx.config().prepare(), PrepareJob.ARTICLES);
        long version = TrainingMix.latestVersion(ctx.spark(), articles);
        Augmenter.Outcome o = augmenter.augment(ctx.spark(), new Augmenter.Request(articles, version, ctx.runId()));
        return StageResult.succeeded(Map.of(PrepareJob.ARTICLES, version), Map.of(o.table(), o.tableVersion()),
                JsonNodeFactory.instance.objectNode().put("written", o.written()).put("table", o.table()));
    }
}
