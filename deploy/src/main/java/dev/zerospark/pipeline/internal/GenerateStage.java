package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.pipeline.RiddleGenerator;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.registry.ModelVersion;

import java.util.Map;
import java.util.Optional;

/** Riddles from the champion for articles with none from it, through the pipeline's {@link RiddleGenerator}. */
public final class GenerateStage implements Stage {
    /** The default riddles table, under the registry's model directory: {@code <registry>/<name>/riddles}. */
    static final String RIDDLES = "riddles";
    private final RiddleGenerator generator;

    public GenerateStage(RiddleGenerator generator) {
        this.generator = generator;
    }

    @Override
    public String name() {
        return GENERATE;
    }

    /** {@code pipeline.riddles}, or {@code <registry>/<name>/riddles} when unset. */
    public static String riddlesTable(StageContext ctx) {
        String configured = ctx.config().pipeline().riddles();
        return configured != null ? configured : ctx.registry().uri() + "/" + RIDDLES;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        if (generator == null) throw new IllegalStateException("the generate stage is not available in this build");
        Optional<ModelVersion> champion = ctx.registry().champion();
        if (champion.isEmpty()) return StageResult.skipped("no champion in " + ctx.registry().uri() + " to generate with");
        String articles = PrepareJob.table(ctx.config().prepare(), PrepareJob.ARTICLES);
        // The articles version this run's prepare stage left (pinned in pipeline_runs), so a resumed run generates
        // over the same rows; the current version when prepare did not run.
        Long pinned = ctx.done(PREPARE).map(StageRecord::outputVersions).map(v -> v.get(PrepareJob.ARTICLES)).orElse(null);
        long version = pinned != null ? pinned : TrainingMix.latestVersion(ctx.spark(), articles);
        String modelId = ctx.config().pipeline().name() + "/" + champion.get().label();
        RiddleGenerator.Outcome o = generator.generate(ctx.spark(),
                new RiddleGenerator.Request(champion.get().uri(), modelId, articles, version, riddlesTable(ctx), ctx.runId()));
        return StageResult.succeeded(Map.of(PrepareJob.ARTICLES, version), Map.of(o.table(), o.tableVersion()),
                JsonNodeFactory.instance.objectNode().put("written", o.written()).put("table", o.table()).put("model_id", modelId));
    }
}
