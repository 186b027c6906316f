package dev.zerospark.data.generate.internal;

import dev.zerospark.spark.Contracts;
import dev.zerospark.table.Generations;
import java.io.Serializable;
import java.sql.Timestamp;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The columns one run gives every row, and the rows the tasks return: the {@link Generations} columns in the
 * contract's order, then {@link #EXAMPLES_DROPPED}, which the job sums for its summary and drops before the MERGE.
 */
public record RunColumns(String pipeline, String modelId, String paramsHash, long seed, String runId, long inputVersion) implements Serializable {
    public static final String EXAMPLES_DROPPED = "_zs_examples_dropped";

    /** The tasks' output schema. */
    public static StructType schema() {
        return Contracts.schema(Generations.CONTRACT).add(EXAMPLES_DROPPED, DataTypes.IntegerType, false);
    }

    public Row row(RowGenerator.Result r, Timestamp now) {
        List<String> names = Generations.CONTRACT.names();
        Object[] v = new Object[names.size() + 1];
        v[names.indexOf(Generations.ARTICLE_ID)] = r.article().id();
        v[names.indexOf(Generations.CONTENT_HASH)] = r.article().contentHash();
        v[names.indexOf(Generations.INPUT_VERSION)] = inputVersion;
        v[names.indexOf(Generations.PIPELINE)] = pipeline;
        v[names.indexOf(Generations.MODEL_ID)] = modelId;
        v[names.indexOf(Generations.PARAMS_HASH)] = paramsHash;
        v[names.indexOf(Generations.SEED)] = seed;
        v[names.indexOf(Generations.PROMPT)] = r.prompt();
        v[names.indexOf(Generations.PROMPT_TOKENS)] = r.promptTokens();
        v[names.indexOf(Generations.TRUNCATED)] = r.truncated();
        v[names.indexOf(Generations.COMPLETION)] = r.completion();
        v[names.indexOf(Generations.COMPLETION_TOKENS)] = r.completionTokens();
        v[names.indexOf(Generations.FINISH_REASON)] = r.finishReason();
        v[names.indexOf(Generations.ERROR)] = r.error();
        v[names.indexOf(Generations.RUN_ID)] = runId;
        v[names.indexOf(Generations.GENERATED_AT)] = now;
        v[names.size()] = r.examplesDropped();
        return RowFactory.create(v);
    }
}
