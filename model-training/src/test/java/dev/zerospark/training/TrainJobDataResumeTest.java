package dev.zerospark.training;

import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.LmBlocksFixture;
import dev.zerospark.training.data.RankBatches;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.StreamSchedule;
import dev.zerospark.training.data.TableIndex;
import dev.zerospark.training.data.TrainingData;
import dev.zerospark.training.metrics.StepMetrics;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A resume at another world size, through the real TrainJob: the ranks stream the table, the resumed run continues
 * from the data cursor its checkpoint recorded, and over the epoch every train sample is trained on exactly once,
 * 2 ranks then 1 and 1 rank then 2, with a different global batch on each side. Token 0 of each block is its id
 * ({@link LmBlocksFixture}); the ranks read through {@link Recording}, which notes the ids each rank trains on.
 */
class TrainJobDataResumeTest {
    /** 720 train blocks = 20 steps of 16 + 40 steps of 10 = 32 steps of 10 + 25 steps of 16. */
    private static final int TRAIN_BLOCKS = 720;
    private static String table;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeTable() throws Exception {
        table = LmBlocksFixture.table(LocalSpark.session(), "'delta.enableDeletionVectors' = 'true'");
    }

    @Test
    void twoRanksThenOneTrainOnEveryTrainSampleOnceAnEpoch() throws Exception {
        // 2 ranks × micro 8 (global 16) for 20 steps, then 1 rank × micro 10 (global 10) for the other 40.
        Map<Long, List<Integer>> seen = new TreeMap<>(legs("two-one", 2, 8, 20, 1, 10, 60));
        assertEveryTrainSampleOnce(seen, 60);
    }

    @Test
    void oneRankThenTwoTrainOnEveryTrainSampleOnceAnEpoch() throws Exception {
        // 1 rank × micro 10 for 32 steps, then 2 ranks × micro 8 (global 16) for the other 25.
        Map<Long, List<Integer>> seen = new TreeMap<>(legs("one-two", 1, 10, 32, 2, 8, 57));
        assertEveryTrainSampleOnce(seen, 57);
    }

    /**
     * Trains {@code firstSteps} at world size {@code firstWorld}, which checkpoints at its last step, then resumes at
     * {@code thenWorld} up to {@code totalSteps}: the ids trained at each step, both legs together.
     */
    private static Map<Long, List<Integer>> legs(String name, int firstWorld, int firstMicro, int firstSteps,
                                                 int thenWorld, int thenMicro, int totalSteps) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path first = Files.createDirectories(dir.resolve(name + "-first"));
        TrainJob.Result a = run(spark, config(name, firstWorld, firstMicro, firstSteps, false), first);
        assertEquals(firstSteps, a.metrics().size());
        Path then = Files.createDirectories(dir.resolve(name + "-then"));
        TrainJob.Result b = run(spark, config(name, thenWorld, thenMicro, totalSteps, true), then);
        assertEquals(firstSteps + 1, b.metrics().get(0).step(), "the resume starts after the checkpoint");
        assertEquals(List.of((long) totalSteps), b.metrics().stream().map(StepMetrics::step).skip(b.metrics().size() - 1).toList());
        Map<Long, List<Integer>> steps = Recording.read(first);
        assertEquals(firstSteps, steps.size(), "steps of the first leg: " + steps.keySet());
        Map<Long, List<Integer>> resumed = Recording.read(then);
        assertEquals(firstSteps, resumed.keySet().iterator().next(), "the resumed leg's first step (0-based)");
        steps.putAll(resumed);
        return steps;
    }

    private static TrainJob.Result run(SparkSession spark, TrainConfig config, Path record) throws IOException {
        return TrainJob.run(spark, config, -1, 0, RunSpec.Fault.LOST_TASK, index -> new Recording(index, record.toString()));
    }

    private static void assertEveryTrainSampleOnce(Map<Long, List<Integer>> seen, int steps) {
        assertEquals(steps, seen.size(), "steps trained: " + seen.keySet());
        List<Integer> all = seen.values().stream().flatMap(List::stream).toList();
        TreeSet<Integer> unique = new TreeSet<>(all);
        assertEquals(all.size(), unique.size(), "a sample was trained on twice within the epoch");
        TreeSet<Integer> train = new TreeSet<>();
        for (int i = 0; i < 900; i++) if (i % 5 != 0) train.add(i); // LmBlocksFixture: every 5th block validates
        assertEquals(TRAIN_BLOCKS, train.size());
        assertEquals(train, unique, "the epoch's train samples, none skipped, no validation block");
    }

    private static TrainConfig config(String name, int world, int micro, int steps, boolean resume) {
        Map<String, Object> o = new HashMap<>();
        o.put("train.model", TestPaths.fixture("tiny-gpt2").toString());
        o.put("train.data", table);
        o.put("train.world_size", world);
        o.put("train.zero.stage", 2);
        o.put("train.steps", steps);
        o.put("train.micro_batch_size", micro);
        o.put("train.grad_accum", 1);
        o.put("train.checkpoint_dir", dir.resolve(name + "/ckpt").toUri().toString());
        o.put("train.checkpoint_interval", 1000); // a checkpoint at the last step only
        o.put("train.eval_interval", 0);
        o.put("train.run_dir", dir.resolve(name + "/run").toUri().toString());
        o.put("train.resume", resume);
        o.put("train.max_restarts", 0);
        return ConfigLoader.load(null, o).train();
    }

    /** The table as the ranks read it, each rank noting in {@code dir} the step and the ids of each step it trains. */
    record Recording(TableIndex index, String dir) implements TrainingData {
        @Override
        public String uri() {
            return index.uri();
        }

        @Override
        public long version() {
            return index.version();
        }

        @Override
        public TokenizerProvenance tokenizer() {
            return index.tokenizer();
        }

        @Override
        public long trainRows() {
            return index.trainRows();
        }

        @Override
        public long validationRows() {
            return index.validationRows();
        }

        @Override
        public RankBatches open(RankBatches.Plan plan, Configuration conf) {
            RankBatches in = index.open(plan, conf);
            Path log = Path.of(dir, "rank-" + plan.rank());
            return new RankBatches() {
                @Override
                public Rows[] step(long step) throws Exception {
                    Rows[] batch = in.step(step);
                    StringBuilder line = new StringBuilder().append(step);
                    for (Rows micro : batch) for (int[] ids : micro.ids()) line.append(' ').append(ids[0]);
                    Files.writeString(log, line.append('\n'), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    return batch;
                }

                @Override
                public Rows[] validation(int limit) throws Exception {
                    return in.validation(limit);
                }

                @Override
                public StreamSchedule.Position positionAfter(long steps) {
                    return in.positionAfter(steps);
                }

                @Override
                public String order() {
                    return in.order();
                }

                @Override
                public int shuffleWindow() {
                    return in.shuffleWindow();
                }

                @Override
                public void close() throws Exception {
                    in.close();
                }
            };
        }

        /** The ids every rank noted in {@code dir}, by step. */
        static Map<Long, List<Integer>> read(Path dir) throws IOException {
            Map<Long, List<Integer>> steps = new TreeMap<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    for (String line : Files.readAllLines(f)) {
                        String[] parts = line.split(" ");
                        List<Integer> ids = steps.computeIfAbsent(Long.parseLong(parts[0]), s -> new ArrayList<>());
                        for (int i = 1; i < parts.length; i++) ids.add(Integer.parseInt(parts[i]));
                    }
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            return steps;
        }
    }
}
