package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zerospark train}'s mistakes that the driver catches before launching any rank: one line, exit 2, in
 * seconds, and no restarts. The tests run in-process on local[2], the session {@link LocalSpark} starts.
 */
class TrainCommandTest {
    private static String table;

    @TempDir Path tmp;

    /** Ten train rows and two validation rows of 17 tokens (seq_len 16), ids inside the tiny fixtures' vocabulary. */
    @BeforeAll
    static void writeTable() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 17; t++) ids.add((i * 7 + t) % 100);
            rows.add(RowFactory.create(String.format("b%03d", i), i < 10 ? "train" : "validation", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        table = Files.createTempDirectory("zs-train-cli").resolve("lm_blocks").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(table);
    }

    private List<String> args(String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--model", TestPaths.fixture("tiny-gpt2").toString(),
                "--checkpoint-dir", tmp.resolve("ckpt").toUri().toString(), "--run-dir", tmp.resolve("run").toUri().toString()));
        a.addAll(List.of(more));
        return a;
    }

    private CliRun train(String... more) {
        return CliRun.of(args(more).toArray(String[]::new));
    }

    @Test
    void aWorldSizeAboveTheSlotsFailsAtOnceNamingBothNumbers() {
        long start = System.nanoTime();
        CliRun r = train("--data", table, "--world-size", "4", "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("train.world_size 4 needs 4 task slots") && r.err().contains("offers 2")
                && r.err().contains("--master local[4]"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(System.nanoTime() - start < 30e9, "failed fast");
    }

    @Test
    void theDefaultMasterRefusesMoreRanksThanCores() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainCommand.defaultLocalMaster(4, 2));
        assertTrue(e.getMessage().contains("train.world_size 4 is more than the 2 cores") && e.getMessage().contains("--master local[4]"), e.getMessage());
        assertEquals("local[2]", TrainCommand.defaultLocalMaster(1, 2));
        assertEquals("local[3]", TrainCommand.defaultLocalMaster(3, 8));
        CliRun r = train("--data", table, "--world-size", "100000");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("is more than the"), r.err());
    }

    @Test
    void fewerRowsThanOneGlobalBatchIsAConfigErrorBeforeLaunch() {
        CliRun r = train("--data", table, "--world-size", "2", "--micro-batch-size", "4", "--grad-accum", "2", "--steps", "2");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("has 10 rows, fewer than one global batch (16") && r.err().contains("--micro-batch-size"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(!Files.exists(tmp.resolve("ckpt")), "no rank ran, so no checkpoint directory was made");
    }

    @Test
    void blocksLongerThanTheModelsPositionsAreAUsageErrorNamingBoth() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 70; t++) ids.add(t);
            rows.add(RowFactory.create("long" + i, "train", ids));
        }
        StructType schema = new StructType().add("block_id", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("input_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        String longTable = tmp.resolve("long_blocks").toUri().toString();
        LocalSpark.session().createDataFrame(rows, schema).write().format("delta").save(longTable);
        CliRun r = train("--data", longTable, "--world-size", "1", "--micro-batch-size", "1");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("70") && r.err().contains("64"), "names the row length and the model's positions: " + r.err());
    }

    @Test
    void dataThatIsNotADeltaTableIsNamed() throws Exception {
        Path plain = Files.createDirectories(tmp.resolve("blocks"));
        CliRun r = train("--data", plain.toString(), "--world-size", "1");
        assertEquals(2, r.code(), r.toString());
        assertEquals("zerospark: not a Delta table: " + plain + " (no _delta_log)", r.err().strip(), r.toString());
    }

    @Test
    void resumeWithoutCheckpointsAndResumeWithOtherStepsSaySo() {
        try (LogCapture log = LogCapture.start()) {
            CliRun first = train("--data", table, "--world-size", "1", "--micro-batch-size", "2", "--steps", "2",
                    "--checkpoint-interval", "2", "--resume");
            assertEquals(0, first.code(), first.toString());
            assertTrue(log.text().contains("no checkpoint under " + tmp.resolve("ckpt").toUri().toString().replaceAll("/$", "")
                    ) || log.text().contains("no checkpoint under " + tmp.resolve("ckpt").toUri()), log.text());
            assertTrue(log.text().contains("starting from step 0"), log.text());
            CliRun longer = train("--data", table, "--world-size", "1", "--micro-batch-size", "2", "--steps", "4",
                    "--checkpoint-interval", "2", "--resume");
            assertEquals(0, longer.code(), longer.toString());
            assertTrue(log.text().contains("with --steps 4 instead of the 2 this run was started with")
                    && log.text().contains("re-planned for 4 steps"), log.text());
        }
        CliRun done = train("--data", table, "--world-size", "1", "--micro-batch-size", "2", "--steps", "4", "--resume");
        assertEquals(2, done.code(), done.toString());
        assertTrue(done.err().contains("already holds 4 steps") && done.err().contains("raise --steps"), done.err());
        // --overwrite deletes only once every check passed: a mistyped --data costs nothing.
        CliRun typo = train("--data", tmp.resolve("no-such-table").toString(), "--world-size", "1", "--overwrite");
        assertEquals(2, typo.code(), typo.toString());
        assertTrue(Files.exists(tmp.resolve("ckpt/step-4/manifest.json")), "the checkpoints survive a refused --overwrite");
    }

    @Test
    void checkpointListOnAMissingRootExitsTwoNamingIt() {
        String root = tmp.resolve("nothing-here").toUri().toString();
        CliRun r = CliRun.of("checkpoint", "list", root);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no checkpoint root at " + root), r.err());
    }
}
