package dev.zerospark.pipeline;

import java.util.List;

/**
 * One step of a pipeline run. The runner records its start and its result in {@code pipeline_runs}; a stage that
 * throws is recorded as failed with the exception's message, and a rerun of the same run id runs it again. A stage
 * must therefore be safe to rerun after it failed or was killed half way (its writes idempotent or resumable).
 */
public interface Stage {
    String PREPARE = "prepare";
    String AUGMENT = "augment";
    String TRAIN = "train";
    String EVAL = "eval";
    String PROMOTE = "promote";
    String GENERATE = "generate";
    /** The order every run goes through. */
    List<String> ORDER = List.of(PREPARE, AUGMENT, TRAIN, EVAL, PROMOTE, GENERATE);

    /** One of {@link #ORDER}. */
    String name();

    StageResult run(StageContext context) throws Exception;
}
