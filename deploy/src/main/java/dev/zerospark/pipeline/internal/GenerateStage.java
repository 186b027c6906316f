package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.pipeline.RiddleGenerator;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.registry.ModelVersion;

import java.util.Map;
import java.util.Optional;

/** Riddles from the champion for articles with none from it, through the pipeline's {@link RiddleGenerator}. */
public final class GenerateStage implements Stage {
    private final RiddleGenerator generator;

    public GenerateStage(RiddleGenerator generator) {
        this.generator = generator;
    }

    @Override
    public String name() {
        return GENERATE;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        if (generator == null) throw new IllegalStateException("the generate stage is not available in this build");
        Optional<ModelVersion> champion = ctx.registry().champion();
        if (champion.isEmpty()) return StageResult.skipped("no champion in " + ctx.registry().uri() + " to generate with");
        String articles = PrepareJob.table(ctx.config().prepare(), PrepareJob.ARTICLES);
        long version = TrainingMix.latestVersion(ctx.spark(), articles);
        String modelId = ctx.config().pipeline().name() + "/" + champion.get().label();
        RiddleGenerator.Outcome o = generator.generate(ctx.spark(),
                new RiddleGenerator.Request(champion.get().uri(), modelId, articles, version, ctx.runId()));
        return StageResult.succeeded(Map.of(PrepareJob.ARTICLES, version), Map.of(o.table(), o.tableVersion()),
                JsonNodeFactory.instance.objectNode().put("written", o.written()).put("table", o.table()).put("model_id", modelId));
    }
}
