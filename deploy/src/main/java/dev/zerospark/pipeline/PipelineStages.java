package dev.zerospark.pipeline;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.pipeline.internal.AugmentStage;
import dev.zerospark.pipeline.internal.EvalStage;
import dev.zerospark.pipeline.internal.GenerateStage;
import dev.zerospark.pipeline.internal.JobAugmenter;
import dev.zerospark.pipeline.internal.JobRiddleGenerator;
import dev.zerospark.pipeline.internal.PerplexityEvaluator;
import dev.zerospark.pipeline.internal.PrepareStage;
import dev.zerospark.pipeline.internal.PromoteStage;
import dev.zerospark.pipeline.internal.RougeLEvaluator;
import dev.zerospark.pipeline.internal.TrainStage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The implementations a pipeline runs with. {@link #standard()} has prepare, train, promote and an eval stage that
 * scores perplexity; {@link #of} adds ROUGE-L, augment and generate; another augmenter plugs in with
 * {@link #withAugmenter}. An enabled stage with no implementation is a config error before anything runs
 * ({@link #check}).
 */
public final class PipelineStages {
    private final List<Evaluator> evaluators;
    private final RiddleGenerator generator;
    private final Augmenter augmenter;

    private PipelineStages(List<Evaluator> evaluators, RiddleGenerator generator, Augmenter augmenter) {
        this.evaluators = List.copyOf(evaluators);
        this.generator = generator;
        this.augmenter = augmenter;
    }

    /** What this build has: perplexity only, no generator, no augmenter. */
    public static PipelineStages standard() {
        return new PipelineStages(List.of(new PerplexityEvaluator()), null, null);
    }

    /**
     * Everything this build has, set up from the config: perplexity and ROUGE-L (greedy riddles of
     * {@code generate.max_new_tokens} tokens) evaluators and the generate stage (GenerateJob with the {@code generate}
     * section's decoding settings) and the augment stage (AugmentJob with {@code pipeline.augment}'s teacher). What
     * {@code pipeline run} and the notebooks run with.
     */
    public static PipelineStages of(ZeroSparkConfig config) {
        return standard().withEvaluator(new RougeLEvaluator(config.generate().maxNewTokens()))
                .withGenerator(new JobRiddleGenerator(config.generate()))
                .withAugmenter(new JobAugmenter(config.pipeline().augment(), config.prepare(), config.train().seed()));
    }

    public PipelineStages withEvaluator(Evaluator e) {
        List<Evaluator> all = new ArrayList<>(evaluators);
        all.add(e);
        return new PipelineStages(all, generator, augmenter);
    }

    public PipelineStages withGenerator(RiddleGenerator g) {
        return new PipelineStages(evaluators, g, augmenter);
    }

    public PipelineStages withAugmenter(Augmenter a) {
        return new PipelineStages(evaluators, generator, a);
    }

    /** Metric names the evaluators give. */
    public Set<String> metrics() {
        Set<String> m = new TreeSet<>();
        for (Evaluator e : evaluators) m.addAll(e.metrics());
        return m;
    }

    /** The stages in {@link Stage#ORDER}. */
    public List<Stage> stages() {
        return List.of(new PrepareStage(), new AugmentStage(augmenter), new TrainStage(), new EvalStage(evaluators),
                new PromoteStage(), new GenerateStage(generator));
    }

    /** Fails naming the key when the config enables a stage or asks for a metric this build does not have. */
    public void check(PipelineConfig p) {
        if (p.stages().generate() && generator == null) throw notAvailable("pipeline.stages.generate", "the generate stage");
        if (p.stages().augment() && augmenter == null) throw notAvailable("pipeline.stages.augment", "the augment stage");
        String metric = p.promote().metric();
        if (p.stages().promote() && !metrics().contains(metric)) {
            throw new ConfigException("pipeline.promote.metric", "pipeline.promote.metric is " + metric
                    + ", which is not available in this build (evaluators give: " + metrics() + ")");
        }
    }

    private static ConfigException notAvailable(String key, String what) {
        return new ConfigException(key, key + " is true, but " + what + " is not available in this build; set " + key + ": false");
    }
}
