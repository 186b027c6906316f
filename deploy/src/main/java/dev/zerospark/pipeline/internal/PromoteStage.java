package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.registry.ChampionChange;
import dev.zerospark.registry.ModelVersion;

import java.util.Locale;
import java.util.Map;

/**
 * Promotes the candidate if it beats the champion on {@code promote.metric} by at least
 * {@code promote.min_improvement} (or there is no champion): registers it as the next {@code v<N>} with
 * {@code metrics.json} and {@code MODEL_CARD.md}, then moves the champion pointer. Otherwise records "kept champion"
 * and why. Both registering and promoting are idempotent per run, so a rerun after a crash finishes the job.
 */
public final class PromoteStage implements Stage {
    /** The decision and the sentence that explains it. */
    record Decision(boolean promote, String reason) {}

    @Override
    public String name() {
        return PROMOTE;
    }

    static Decision decide(PipelineConfig.Promote rule, double candidate, Double champion, Integer championVersion) {
        String m = rule.metric();
        if (!Double.isFinite(candidate)) return new Decision(false, "candidate " + m + " is " + candidate + ", not a number to promote on");
        if (champion == null) return new Decision(true, String.format(Locale.ROOT, "no champion yet; candidate %s %.6g", m, candidate));
        double improvement = rule.higherIsBetter() ? candidate - champion : champion - candidate;
        String compared = String.format(Locale.ROOT, "candidate %s %.6g vs champion v%d %.6g (%s is better): improvement %.6g",
                m, candidate, championVersion, champion, rule.higherIsBetter() ? "higher" : "lower", improvement);
        if (improvement > 0 && improvement >= rule.minImprovement()) {
            return new Decision(true, compared + " >= promote.min_improvement " + rule.minImprovement());
        }
        return new Decision(false, "kept champion v" + championVersion + ": " + compared
                + (improvement > 0 ? " is below promote.min_improvement " + rule.minImprovement() : ", the candidate is not better"));
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        PipelineConfig p = ctx.config().pipeline();
        ObjectNode eval = ctx.metricsOf(EVAL);
        ObjectNode train = ctx.metricsOf(TRAIN);
        String metric = p.promote().metric();
        JsonNode cand = eval.path("candidate").path(metric);
        if (!cand.isNumber()) throw new IllegalStateException("the eval stage of run " + ctx.runId() + " recorded no " + metric
                + " for the candidate on eval set " + eval.path("eval_table").asText() + " (pipeline.promote.metric is " + metric
                + "; rouge_l needs an sft_pairs eval.table, whose responses are the reference riddles)");
        JsonNode champ = eval.path("champion").path(metric);
        Integer champVersion = eval.hasNonNull("champion_version") ? eval.get("champion_version").asInt() : null;
        Decision d = decide(p.promote(), cand.asDouble(), champ.isNumber() ? champ.asDouble() : null, champVersion);
        ObjectNode metrics = JsonNodeFactory.instance.objectNode().put("promoted", d.promote()).put("metric", metric)
                .put("decision", d.reason());
        if (!d.promote()) return StageResult.succeeded(Map.of(), Map.of(), metrics);

        ObjectNode versionMetrics = JsonNodeFactory.instance.objectNode();
        versionMetrics.put("run_id", ctx.runId()).put("base_model", train.path("from_model").asText())
                .put("steps", train.path("steps").asInt());
        ObjectNode data = versionMetrics.putObject("data");
        data.put("lm_blocks", train.path("data").asText()).put("lm_blocks_version", train.path("data_version").asLong())
                .put("baseline_version", train.path("baseline_version").asLong()).put("new_train_rows", train.path("new_train_rows").asLong())
                .put("replay_rows", train.path("replay_rows").asLong()).put("train_mix", train.path("train_mix").asText());
        ObjectNode ev = versionMetrics.putObject("eval");
        ev.put("table", eval.path("eval_table").asText()).put("version", eval.path("eval_version").asLong());
        ev.set("metrics", eval.path("candidate").deepCopy());
        if (champVersion != null) {
            ev.put("champion_version", champVersion);
            ev.set("champion_metrics", eval.path("champion").deepCopy());
        }
        versionMetrics.put("decision", d.reason());
        String candidate = train.path(TrainStage.CANDIDATE).asText();
        ModelVersion v = ctx.registry().register(candidate, versionMetrics, m -> ModelCard.render(p.name(), m), ctx.runId());
        ChampionChange change = ctx.registry().promote(v.version(), ChampionChange.PROMOTE, ctx.runId(), d.reason());
        metrics.put("version", v.version()).put("uri", v.uri()).put("decision", "promoted " + v.label() + ": " + d.reason());
        if (change.fromVersion() != null) metrics.put("previous_champion", change.fromVersion());
        return StageResult.succeeded(Map.of(), Map.of(), metrics);
    }
}
