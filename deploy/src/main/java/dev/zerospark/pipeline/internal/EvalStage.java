package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.PipelineConfig;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.pipeline.EvalResult;
import dev.zerospark.pipeline.EvalSet;
import dev.zerospark.pipeline.Evaluator;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageContext;
import dev.zerospark.pipeline.StageResult;
import dev.zerospark.registry.ModelVersion;
import io.delta.tables.DeltaTable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Scores the run's candidate and the current champion on the pinned evaluation set with every evaluator. */
public final class EvalStage implements Stage {
    static final String EVAL_SET = "eval_set";
    private final List<Evaluator> evaluators;

    public EvalStage(List<Evaluator> evaluators) {
        this.evaluators = List.copyOf(evaluators);
    }

    @Override
    public String name() {
        return EVAL;
    }

    @Override
    public StageResult run(StageContext ctx) throws Exception {
        PipelineConfig.Eval e = ctx.config().pipeline().eval();
        EvalSet set = new EvalSet(e.table(), e.version(), e.maxRows());
        if (!DeltaTable.isDeltaTable(ctx.spark(), set.table())) throw new NotADeltaTableException(set.table());
        String candidate = ctx.metricsOf(TRAIN).path(TrainStage.CANDIDATE).asText(null);
        if (candidate == null) throw new IllegalStateException("the train stage of run " + ctx.runId() + " recorded no candidate model");
        Configuration conf = ctx.spark().sparkContext().hadoopConfiguration();
        ObjectNode metrics = JsonNodeFactory.instance.objectNode().put("eval_table", set.table()).put("eval_version", set.version());
        metrics.set("candidate", score(ctx.spark(), candidate, set, conf).toJson());
        Optional<ModelVersion> champion = ctx.registry().champion();
        if (champion.isPresent()) {
            metrics.put("champion_version", champion.get().version());
            metrics.set("champion", score(ctx.spark(), champion.get().uri(), set, conf).toJson());
        } else {
            metrics.putNull("champion");
        }
        return StageResult.succeeded(Map.of(EVAL_SET, set.version()), Map.of(), metrics);
    }

    private EvalResult score(SparkSession spark, String modelUri, EvalSet set, Configuration conf) throws Exception {
        EvalResult all = new EvalResult(Map.of());
        try (LocalModel local = LocalModel.copy(modelUri, conf)) {
            for (Evaluator ev : evaluators) all = all.merge(ev.evaluate(spark, local.dir(), set));
        }
        return all;
    }
}
