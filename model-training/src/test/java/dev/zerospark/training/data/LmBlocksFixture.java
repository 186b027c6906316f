package dev.zerospark.training.data;

import dev.zerospark.table.LmBlocks;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** An lm_blocks Delta table of 900 numbered blocks in 3 files of several row groups, for the streaming tests. */
public final class LmBlocksFixture {
    private LmBlocksFixture() {}

    private static final StructType SCHEMA = new StructType().add(LmBlocks.BLOCK_ID, DataTypes.StringType)
            .add(LmBlocks.SPLIT, DataTypes.StringType)
            .add(LmBlocks.INPUT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add(LmBlocks.RUN_ID, DataTypes.StringType);

    /** 900 blocks, every 5th a validation block; token 0 of block i is i, so a row read names its block. */
    public static List<Row> blocks() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 900; i++) {
            List<Integer> ids = new ArrayList<>();
            ids.add(i);
            for (int t = 1; t < 9; t++) ids.add((i * 31 + t) % 50);
            rows.add(RowFactory.create(String.format("b%04d", i), i % 5 == 0 ? "validation" : "train", ids, "run"));
        }
        return rows;
    }

    /** Writes the blocks as 3 files of several row groups each into a new table made with {@code properties}. */
    public static String table(SparkSession spark, String properties) throws Exception {
        return table(spark, properties, false);
    }

    /**
     * As {@link #table(SparkSession, String)}, {@code PARTITIONED BY (split)} when {@code bySplit}: then each of the 3
     * writing tasks writes a file per split, and no file holds the split column.
     */
    public static String table(SparkSession spark, String properties, boolean bySplit) throws Exception {
        String uri = Files.createTempDirectory("zs-table-files").resolve("lm_blocks").toUri().toString();
        spark.sql("CREATE TABLE delta.`" + uri + "` (block_id STRING, split STRING, input_ids ARRAY<INT>, run_id STRING) "
                + "USING delta " + (bySplit ? "PARTITIONED BY (split) " : "") + "TBLPROPERTIES (" + properties + ")");
        // Row groups of ~100 rows (Parquet checks the size every 100 records): deletion vectors index rows across them.
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String blockSize = hadoop.get("parquet.block.size");
        hadoop.setInt("parquet.block.size", 1024);
        try {
            spark.createDataFrame(blocks(), SCHEMA).repartition(3).write().format("delta").mode("append").save(uri);
        } finally {
            if (blockSize == null) hadoop.unset("parquet.block.size");
            else hadoop.set("parquet.block.size", blockSize);
        }
        return uri;
    }

}
