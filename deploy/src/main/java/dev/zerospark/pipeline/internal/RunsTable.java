package dev.zerospark.pipeline.internal;

import dev.zerospark.pipeline.PipelineRuns;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageStatus;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.apache.spark.sql.functions.col;

/**
 * {@code pipeline_runs}: one row per stage start and per stage end. Its columns are named here only. Rows are
 * appended by the run holding the lease, so there is one writer at a time; {@code seq} orders them.
 */
public final class RunsTable implements PipelineRuns {
    static final String SEQ = "seq";
    static final String RUN_ID = "run_id";
    static final String STAGE = "stage";
    static final String STATUS = "status";
    static final String ATTEMPT = "attempt";
    static final String STARTED_AT = "started_at";
    static final String ENDED_AT = "ended_at";
    static final String INPUT_VERSIONS = "input_versions";
    static final String OUTPUT_VERSIONS = "output_versions";
    static final String METRICS = "metrics";
    static final String ERROR = "error";
    static final StructType SCHEMA = new StructType()
            .add(SEQ, DataTypes.LongType, false)
            .add(RUN_ID, DataTypes.StringType, false)
            .add(STAGE, DataTypes.StringType, false)
            .add(STATUS, DataTypes.StringType, false)
            .add(ATTEMPT, DataTypes.IntegerType, false)
            .add(STARTED_AT, DataTypes.TimestampType, false)
            .add(ENDED_AT, DataTypes.TimestampType, true)
            .add(INPUT_VERSIONS, DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), true)
            .add(OUTPUT_VERSIONS, DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType), true)
            .add(METRICS, DataTypes.StringType, true)
            .add(ERROR, DataTypes.StringType, true);

    private final SparkSession spark;
    private final String uri;

    public RunsTable(SparkSession spark, String uri) {
        this.spark = spark;
        this.uri = uri;
    }

    @Override
    public String uri() {
        return uri;
    }

    private boolean exists() {
        return DeltaTable.isDeltaTable(spark, uri);
    }

    void append(StageRecord r) {
        long seq = exists() ? nextSeq() : 0;
        Row row = RowFactory.create(seq, r.runId(), r.stage(), r.status().value(), r.attempt(), Timestamp.from(r.startedAt()),
                r.endedAt() == null ? null : Timestamp.from(r.endedAt()), r.inputVersions(), r.outputVersions(), r.metrics(), r.error());
        spark.createDataFrame(List.of(row), SCHEMA).write().format("delta").mode("append").save(uri);
    }

    private long nextSeq() {
        Row max = spark.read().format("delta").load(uri).agg(org.apache.spark.sql.functions.max(SEQ)).first();
        return max.isNullAt(0) ? 0 : max.getLong(0) + 1;
    }

    @Override
    public List<StageRecord> records(String runId) {
        if (!exists()) return List.of();
        return spark.read().format("delta").load(uri).filter(col(RUN_ID).equalTo(runId)).orderBy(SEQ).collectAsList()
                .stream().map(RunsTable::record).toList();
    }

    @Override
    public List<StageRecord> latest(String runId) {
        Map<String, StageRecord> last = new LinkedHashMap<>();
        for (StageRecord r : records(runId)) last.put(r.stage(), r);
        List<StageRecord> out = new ArrayList<>();
        for (String s : Stage.ORDER) if (last.containsKey(s)) out.add(last.get(s));
        return out;
    }

    @Override
    public Optional<StageRecord> newest(String stage, StageStatus status, String exceptRunId) {
        if (!exists()) return Optional.empty();
        return spark.read().format("delta").load(uri)
                .filter(col(STAGE).equalTo(stage).and(col(STATUS).equalTo(status.value())).and(col(RUN_ID).notEqual(exceptRunId)))
                .orderBy(col(SEQ).desc()).limit(1).collectAsList().stream().map(RunsTable::record).findFirst();
    }

    private static StageRecord record(Row r) {
        Timestamp ended = r.getAs(ENDED_AT);
        return new StageRecord(r.getAs(RUN_ID), r.getAs(STAGE), StageStatus.of(r.getAs(STATUS)), r.<Integer>getAs(ATTEMPT),
                r.<Timestamp>getAs(STARTED_AT).toInstant(), ended == null ? null : ended.toInstant(),
                versions(r, INPUT_VERSIONS), versions(r, OUTPUT_VERSIONS), r.getAs(METRICS), r.getAs(ERROR));
    }

    private static Map<String, Long> versions(Row r, String column) {
        int i = r.fieldIndex(column);
        if (r.isNullAt(i)) return Map.of();
        return new java.util.TreeMap<>(r.<String, Long>getJavaMap(i));
    }

    /** The attempt number the next invocation of {@code runId} gets. */
    int nextAttempt(String runId) {
        return records(runId).stream().mapToInt(StageRecord::attempt).max().orElse(0) + 1;
    }
}
