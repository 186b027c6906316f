package dev.zerospark.registry.internal;

import dev.zerospark.registry.ChampionChange;
import io.delta.tables.DeltaTable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.sql.Timestamp;
import java.util.List;

/** The {@code champion_history} Delta table; its columns are named here only. */
final class HistoryTable {
    static final String CHANGED_AT = "changed_at";
    static final String ACTION = "action";
    static final String FROM_VERSION = "from_version";
    static final String TO_VERSION = "to_version";
    static final String RUN_ID = "run_id";
    static final String REASON = "reason";
    static final StructType SCHEMA = new StructType()
            .add(CHANGED_AT, DataTypes.TimestampType, false)
            .add(ACTION, DataTypes.StringType, false)
            .add(FROM_VERSION, DataTypes.IntegerType, true)
            .add(TO_VERSION, DataTypes.IntegerType, false)
            .add(RUN_ID, DataTypes.StringType, true)
            .add(REASON, DataTypes.StringType, true);

    private final SparkSession spark;
    private final String uri;

    HistoryTable(SparkSession spark, String uri) {
        this.spark = spark;
        this.uri = uri;
    }

    void append(ChampionChange c) {
        Row row = RowFactory.create(Timestamp.from(c.changedAt()), c.action(), c.fromVersion(), c.toVersion(), c.runId(), c.reason());
        spark.createDataFrame(List.of(row), SCHEMA).write().format("delta").mode("append").save(uri);
    }

    /** Oldest first (changes are Delta commits apart, so their timestamps differ). */
    List<ChampionChange> read() {
        if (!DeltaTable.isDeltaTable(spark, uri)) return List.of();
        return spark.read().format("delta").load(uri).orderBy(CHANGED_AT).collectAsList().stream().map(r -> new ChampionChange(
                r.<Timestamp>getAs(CHANGED_AT).toInstant(), r.getAs(ACTION), r.getAs(FROM_VERSION), r.<Integer>getAs(TO_VERSION),
                r.getAs(RUN_ID), r.getAs(REASON))).toList();
    }
}
