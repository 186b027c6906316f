package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The retraining pipeline ({@code pipeline run}): prepare new articles, train a candidate from the champion, score
 * it against the champion on a pinned evaluation set, promote it into the model registry if it is better, generate.
 * Input, tokenizer and tables come from the {@code prepare} section and the training settings from {@code train}:
 * the pipeline sets only what differs per run (the model trained from, the data, the steps, the checkpoint dir).
 */
public record PipelineConfig(
        @JsonPropertyDescription("model name in the registry: versions go to <registry>/<name>/v<N>/ (required)") String name,
        @JsonPropertyDescription("registry root URI (any Hadoop filesystem); holds <name>/v<N>/, <name>/champion, the "
                + "pipeline_runs and champion_history tables and the run lease (required)") String registry,
        @JsonPropertyDescription("HF model directory or URI the first run trains from, before there is a champion "
                + "(optional: without it the first run trains train.arch with train.preset from scratch)") String baseModel,
        @JsonPropertyDescription("optimizer steps per run (optional: set this or epochs; with neither, train.steps)") Integer steps,
        @JsonPropertyDescription("passes over the run's training rows, new and replayed (optional: set this or steps)") Double epochs,
        @JsonPropertyDescription("share of a run's training rows drawn from blocks earlier runs trained on, in [0, 1) (default 0.2)") Double replayFraction,
        @JsonPropertyDescription("seconds a run's lease on <registry>/<name> lasts unrenewed; the run renews it every third "
                + "of this, and an expired lease is taken over (default 600)") Integer leaseTtlS,
        @JsonPropertyDescription("Delta table URI the generate stage MERGEs the champion's riddles into (the generations "
                + "table contract, keyed by article_id, model_id, pipeline, params_hash; decoding settings from the generate "
                + "section) (optional; <registry>/<name>/riddles when unset)") String riddles,
        @JsonPropertyDescription("the fixed evaluation set") Eval eval,
        @JsonPropertyDescription("the augment stage's teacher and filters (used when stages.augment is true)") Augment augment,
        @JsonPropertyDescription("when a candidate replaces the champion") Promote promote,
        @JsonPropertyDescription("which stages run") Stages stages) {

    public PipelineConfig {
        if (steps != null) Check.positive("steps", steps);
        if (epochs != null) Check.positive("epochs", epochs.doubleValue());
        if (steps != null && epochs != null) {
            throw Check.invalid("epochs", "(" + epochs + ") and steps (" + steps + ") are both set; set one");
        }
        replayFraction = Check.inRange("replay_fraction", Check.or(replayFraction, 0.2), 0.0, 1.0);
        if (replayFraction == 1.0) throw Check.invalid("replay_fraction", "must be below 1 (a run must train on its new data), got 1.0");
        leaseTtlS = Check.positive("lease_ttl_s", Check.or(leaseTtlS, 600));
        eval = Check.or(eval, Eval.defaults());
        augment = Check.or(augment, Augment.defaults());
        promote = Check.or(promote, Promote.defaults());
        stages = Check.or(stages, Stages.defaults());
        if (name != null && !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw Check.invalid("name", "must be letters, digits, '.', '_' or '-' (it names a directory), got '" + name + "'");
        }
    }

    public static PipelineConfig defaults() {
        return new PipelineConfig(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The evaluation set: held-out rows of a Delta table at one pinned version, the same for every run. */
    public record Eval(
            @JsonPropertyDescription("Delta table URI of held-out lm_blocks or sft_pairs (prepare's tables of articles kept "
                    + "out of training); its validation split is scored. perplexity: every next token of lm_blocks, the "
                    + "response tokens of sft_pairs. rouge_l needs sft_pairs: its prompt is completed greedily (generate."
                    + "max_new_tokens, the riddle template's stop strings) and scored against its response, the reference "
                    + "riddle (needed when stages.eval is true)") String table,
            @JsonPropertyDescription("pinned Delta version of eval.table (needed when stages.eval is true)") Long version,
            @JsonPropertyDescription("validation rows scored at most (default 256)") Integer maxRows) {
        public Eval {
            if (version != null && version < 0) throw Check.invalid("version", "must be >= 0, got " + version);
            maxRows = Check.positive("max_rows", Check.or(maxRows, 256));
        }

        public static Eval defaults() {
            return new Eval(null, null, null);
        }
    }

    /**
     * Self-instruct for the augment stage: a teacher writes riddle targets for the new articles without one; the
     * targets that pass the filters become sft_pairs rows, and the run's train stage trains on them (their response
     * tokens) along with the new lm_blocks.
     */
    public record Augment(
            @JsonPropertyDescription("the teacher: an HF model directory or URI (needed when stages.augment is true)") String teacher,
            @JsonPropertyDescription("instruct | riddle: the prompt template the teacher is given (default instruct)") String template,
            @JsonPropertyDescription("sft_pairs Delta table URI the accepted targets are added to, packed to prepare.seq_len + 1 "
                    + "tokens like lm_blocks rows; the teacher's generations are kept next to it in <output>_teacher_generations, "
                    + "so no article is sent to the teacher twice (optional; <prepare.output>/self_instruct when unset)") String output,
            @JsonPropertyDescription("articles sent to the teacher per run at most (optional; all when unset)") Long limit,
            @JsonPropertyDescription("tokens the teacher writes at most (default 64)") Integer maxNewTokens,
            @JsonPropertyDescription("targets with fewer words are rejected (default 3)") Integer minWords,
            @JsonPropertyDescription("targets with more words are rejected (default 120)") Integer maxWords,
            @JsonPropertyDescription("targets whose ROUGE-L F against their article is above this are rejected as copies, in (0, 1] (default 0.5)") Double copyThreshold) {
        public static final String INSTRUCT = "instruct";
        public static final String RIDDLE = "riddle";

        public Augment {
            template = Check.oneOf("template", Check.or(template, INSTRUCT), INSTRUCT, RIDDLE);
            if (limit != null && limit < 1) throw Check.invalid("limit", "must be >= 1, got " + limit);
            maxNewTokens = Check.positive("max_new_tokens", Check.or(maxNewTokens, 64));
            minWords = Check.positive("min_words", Check.or(minWords, 3));
            maxWords = Check.positive("max_words", Check.or(maxWords, 120));
            if (maxWords < minWords) throw Check.invalid("max_words", "(" + maxWords + ") must be >= min_words (" + minWords + ")");
            copyThreshold = Check.or(copyThreshold, 0.5);
            if (!(copyThreshold > 0 && copyThreshold <= 1)) throw Check.invalid("copy_threshold", "must be in (0, 1], got " + copyThreshold);
        }

        public static Augment defaults() {
            return new Augment(null, null, null, null, null, null, null, null);
        }
    }

    /** Promotion rule: the candidate must beat the champion on one metric by at least a margin. */
    public record Promote(
            @JsonPropertyDescription("perplexity (lower is better) | rouge_l (higher is better) (default perplexity)") String metric,
            @JsonPropertyDescription("absolute margin by which the candidate must beat the champion on promote.metric (default 0.0)") Double minImprovement) {
        public static final String PERPLEXITY = "perplexity";
        public static final String ROUGE_L = "rouge_l";

        public Promote {
            metric = Check.oneOf("metric", Check.or(metric, PERPLEXITY), PERPLEXITY, ROUGE_L);
            minImprovement = Check.or(minImprovement, 0.0);
            if (!(minImprovement >= 0)) throw Check.invalid("min_improvement", "must be >= 0, got " + minImprovement);
        }

        /** Whether a higher value of the metric is better. */
        public boolean higherIsBetter() {
            return metric.equals(ROUGE_L);
        }

        public static Promote defaults() {
            return new Promote(null, null);
        }
    }

    /** Stage switches. A disabled stage is recorded as skipped. */
    public record Stages(
            @JsonPropertyDescription("run prepare on prepare.input (default true)") Boolean prepare,
            @JsonPropertyDescription("self-instruct targets for new articles without one, from pipeline.augment.teacher, trained on with the new data (default false)") Boolean augment,
            @JsonPropertyDescription("train a candidate (default true)") Boolean train,
            @JsonPropertyDescription("score candidate and champion on the evaluation set (default true)") Boolean eval,
            @JsonPropertyDescription("promote the candidate if it beats the champion (default true)") Boolean promote,
            @JsonPropertyDescription("riddles from the champion, into riddles, for articles of prepare's articles table without one from it (default true)") Boolean generate) {
        public Stages {
            prepare = Check.or(prepare, true);
            augment = Check.or(augment, false);
            train = Check.or(train, true);
            eval = Check.or(eval, true);
            promote = Check.or(promote, true);
            generate = Check.or(generate, true);
            if (promote && !eval) throw Check.invalid("promote", "needs stages.eval: promotion compares eval results; enable eval or disable promote");
            if (eval && !train) throw Check.invalid("eval", "needs stages.train: it scores the run's candidate; enable train or disable eval");
        }

        public static Stages defaults() {
            return new Stages(null, null, null, null, null, null);
        }
    }
}
