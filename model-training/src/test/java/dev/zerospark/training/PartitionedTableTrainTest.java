package dev.zerospark.training;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's lm_blocks table written {@code partitionBy("split")} (prepare's contract, its columns unchanged, stored
 * partitioned) trains through {@link TrainJob}: the same losses and validation losses as the same rows unpartitioned.
 */
class PartitionedTableTrainTest {
    private static final int STEPS = 2;

    /** 40 blocks of 17 tokens, the last 8 validation blocks, in one file (one per split when partitioned). */
    private static String table(SparkSession spark, Path dir, boolean bySplit) {
        Random rnd = new Random(11);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 17; t++) ids.add(rnd.nextInt(64));
            rows.add(RowFactory.create(String.format("b%03d", i), i < 32 ? "train" : "validation", ids, "run"));
        }
        String uri = dir.resolve(bySplit ? "partitioned" : "flat").toUri().toString();
        DataFrameWriter<Row> writer = spark.createDataFrame(rows, Contracts.schema(LmBlocks.CONTRACT)).coalesce(1)
                .write().format("delta");
        (bySplit ? writer.partitionBy(LmBlocks.SPLIT) : writer).save(uri);
        return uri;
    }

    private static TrainConfig config(String data, Path dir) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString());
        o.put("train.data", data);
        o.put("train.world_size", 1);
        o.put("train.steps", STEPS);
        o.put("train.micro_batch_size", 2);
        o.put("train.grad_accum", 1);
        o.put("train.eval_interval", 1);
        o.put("train.checkpoint_dir", dir.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", dir.resolve("run").toUri().toString());
        return ConfigLoader.load(null, o).train();
    }

    @Test
    void aTablePartitionedBySplitTrainsAsTheSameTableUnpartitioned(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        List<StepMetrics> flat = TrainJob.run(spark, config(table(spark, dir, false), dir.resolve("flat-run"))).metrics();
        List<StepMetrics> partitioned = TrainJob.run(spark, config(table(spark, dir, true), dir.resolve("partitioned-run"))).metrics();
        assertEquals(STEPS, flat.size());
        assertEquals(STEPS, partitioned.size());
        for (int s = 0; s < STEPS; s++) {
            StepMetrics a = flat.get(s);
            StepMetrics b = partitioned.get(s);
            assertTrue(Double.isFinite(b.valLoss()), "validation ran at step " + b.step());
            assertEquals(a.loss(), b.loss(), 1e-6 * a.loss(), "step " + a.step() + " trains on the same rows");
            assertEquals(a.valLoss(), b.valLoss(), 1e-6 * a.valLoss(), "step " + a.step() + " validates on the same rows");
        }
    }
}
