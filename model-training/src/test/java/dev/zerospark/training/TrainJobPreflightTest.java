package dev.zerospark.training;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.SequenceTooLongException;
import dev.zerospark.training.data.TokenIdOutOfRangeException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver checks the table against the config and the model before it launches any rank. */
class TrainJobPreflightTest {
    @TempDir
    Path tmp;

    /** An lm_blocks table of 8 train blocks of 17 tokens (seq_len 16); block b003 holds {@code badId} at position 5. */
    private String table(String name, int badId) {
        return table(name, badId, 17);
    }

    private String table(String name, int badId, int length) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < length; t++) ids.add(i == 3 && t == 5 ? badId : (i + t) % 50);
            rows.add(RowFactory.create(String.format("b%03d", i), "train", ids, "run"));
        }
        StructType schema = Contracts.schema(LmBlocks.CONTRACT); // block_id, split, input_ids, run_id
        String uri = tmp.resolve(name).toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(uri);
        return uri;
    }

    private TrainConfig config(String table, Integer seqLen) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString()); // vocab_size 1024
        o.put("train.data", table);
        o.put("train.steps", 1);
        o.put("train.micro_batch_size", 2);
        o.put("train.max_restarts", 0);
        o.put("train.seq_len", seqLen);
        o.put("train.checkpoint_dir", tmp.resolve("ckpt").toUri().toString());
        o.put("train.run_dir", tmp.resolve("run").toUri().toString());
        return ConfigLoader.load(null, o).train();
    }

    @Test
    void tokenIdOutsideTheModelsVocabularyFailsOnTheDriverNamingTableAndRow() {
        SparkSession spark = LocalSpark.session();
        String uri = table("bad_ids", 1500);
        TokenIdOutOfRangeException e = assertThrows(TokenIdOutOfRangeException.class,
                () -> TrainJob.run(spark, config(uri, null)));
        // The driver never holds the rows: the index pass names the file, its row and the position.
        assertTrue(e.getMessage().contains(uri) && e.getMessage().contains("split train file ") && e.getMessage().contains("bad_ids/part-")
                && e.getMessage().contains("position 5 has token id 1500") && e.getMessage().contains("[0, 1024)"), e.getMessage());
    }

    @Test
    void rowsLongerThanTheModelsPositionsFailOnTheDriver() {
        SparkSession spark = LocalSpark.session();
        String uri = table("too_long", 7, 65); // tiny-gpt2 has n_positions 64
        SequenceTooLongException e = assertThrows(SequenceTooLongException.class, () -> TrainJob.run(spark, config(uri, null)));
        assertTrue(e.getMessage().contains(uri) && e.getMessage().contains("64 positions"), e.getMessage());
    }

    @Test
    void seqLenOtherThanTheTablesBlockLengthIsAnError() {
        SparkSession spark = LocalSpark.session();
        String uri = table("seq16", 7);
        ConfigException e = assertThrows(ConfigException.class, () -> TrainJob.run(spark, config(uri, 32)));
        assertEquals("train.seq_len", e.keyPath());
        assertTrue(e.getMessage().contains("packed with seq_len 16"), e.getMessage());
    }
}
