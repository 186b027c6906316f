package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.generate.BatchGenerator;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.testing.TestPaths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ModelCacheTest {
    private static final String MODEL_ID = "gpt2-concurrent";

    /** Mixed-length riddle prompts, different for each {@code task}. */
    private static List<BatchGenerator.Row> prompts(ModelCache.Lease lease, int task) {
        String[] words = {"harbour", "storm", "market", "bridge", "council", "river"};
        List<BatchGenerator.Row> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String text = String.join(" ", List.of(words).subList(0, 1 + (i + task) % words.length));
            int[] ids = PromptTemplates.RIDDLE.render(TemplateInput.of("Title " + task + i, text), lease.completer().tokenizer(), 52).tokenIds();
            rows.add(new BatchGenerator.Row(ids, BatchGenerator.rowSeed(0, task + "-" + i)));
        }
        return rows;
    }

    @Test
    void twoTasksGenerateOnTheSharedModelAtOnceAndGetTheirSequentialOutputs() throws Exception {
        int tasks = 2;
        List<List<BatchGenerator.Output>> sequential = new ArrayList<>();
        List<List<BatchGenerator.Row>> prompts = new ArrayList<>();
        // A stop string no output contains makes the generator decode after every token: the hook the barrier needs.
        List<String> never = List.of("\u0000never\u0000");
        try (ModelCache.Lease lease = ModelCache.acquire(MODEL_ID, Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
            GenerationOptions o = lease.completer().options(8, 0, 0, 1, 0, never);
            for (int t = 0; t < tasks; t++) {
                prompts.add(prompts(lease, t));
                sequential.add(lease.generate(prompts.get(t), o, 8192, ids -> lease.completer().tokenizer().decode(ids, true)));
            }
        }
        int loads = ModelCache.loads();
        // Both tasks must be inside generate at once to pass the barrier: serialized generation times it out.
        CyclicBarrier bothGenerating = new CyclicBarrier(tasks);
        ExecutorService pool = Executors.newFixedThreadPool(tasks);
        try {
            List<Future<List<BatchGenerator.Output>>> futures = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                List<BatchGenerator.Row> rows = prompts.get(t);
                futures.add(pool.submit(() -> {
                    try (ModelCache.Lease lease = ModelCache.acquire(MODEL_ID, Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
                        GenerationOptions o = lease.completer().options(8, 0, 0, 1, 0, never);
                        AtomicBoolean met = new AtomicBoolean();
                        Function<int[], String> decoder = ids -> {
                            if (met.compareAndSet(false, true)) {
                                try {
                                    bothGenerating.await(60, TimeUnit.SECONDS);
                                } catch (Exception e) {
                                    throw new IllegalStateException("the other task never generated while this one was generating", e);
                                }
                            }
                            return lease.completer().tokenizer().decode(ids, true);
                        };
                        return lease.generate(rows, o, 8192, decoder);
                    }
                }));
            }
            for (int t = 0; t < tasks; t++) {
                List<BatchGenerator.Output> concurrent = futures.get(t).get(120, TimeUnit.SECONDS);
                assertEquals(sequential.get(t).size(), concurrent.size());
                for (int i = 0; i < concurrent.size(); i++) {
                    assertArrayEquals(sequential.get(t).get(i).tokens(), concurrent.get(i).tokens(), "task " + t + " row " + i);
                    assertEquals(sequential.get(t).get(i).reason(), concurrent.get(i).reason(), "task " + t + " row " + i);
                }
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
        assertEquals(loads, ModelCache.loads(), "the concurrent tasks shared the cached model");
    }

    @Test
    void aTaskGeneratingAloneTakesTheExecutorsCoresAndTasksGeneratingTogetherShareThem() throws Exception {
        List<String> never = List.of("\u0000never\u0000");
        int executorCores = 2;
        // Alone: every batch runs on both cores; back to the task's own core on return.
        List<Integer> alone = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<BatchGenerator.Output> expected;
            try (ModelCache.Lease lease = ModelCache.acquire(MODEL_ID, Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
                GenerationOptions o = lease.completer().options(4, 0, 0, 1, 0, never);
                List<BatchGenerator.Row> rows = prompts(lease, 0).subList(0, 3);
                expected = lease.generate(rows, o, 8192, ids -> lease.completer().tokenizer().decode(ids, true));
                int after = pool.submit(() -> {
                    JniUtils.setNumThreads(1); // the task's own core, as PartitionGenerator sets it
                    // One row per batch (batch_tokens 1), so the thread count is chosen three times.
                    List<BatchGenerator.Output> shared = lease.generate(rows, o, 1, ids -> {
                        alone.add(JniUtils.getNumThreads());
                        return lease.completer().tokenizer().decode(ids, true);
                    }, 1, executorCores);
                    for (int i = 0; i < rows.size(); i++) assertArrayEquals(expected.get(i).tokens(), shared.get(i).tokens(), "row " + i);
                    return JniUtils.getNumThreads();
                }).get(120, TimeUnit.SECONDS);
                assertEquals(1, after, "the task's own cores again after generating");
            }
            assertFalse(alone.isEmpty());
            assertTrue(alone.stream().allMatch(t -> t == executorCores), "alone: " + alone);

            // Together: once both are inside generate (the first barrier), a batch either starts runs on one core; the
            // second barrier keeps both inside until each has seen its second batch's thread count.
            CyclicBarrier bothInside = new CyclicBarrier(2);
            CyclicBarrier bothSeen = new CyclicBarrier(2);
            List<Future<Integer>> seen = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int task = t;
                seen.add(pool.submit(() -> {
                    try (ModelCache.Lease lease = ModelCache.acquire(MODEL_ID, Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
                        GenerationOptions o = lease.completer().options(4, 0, 0, 1, 0, never);
                        int[] batches = {0};
                        int[] second = {-1};
                        lease.generate(prompts(lease, task).subList(0, 3), o, 1, ids -> {
                            if (ids.length == 1) { // a batch's first new token
                                batches[0]++;
                                try {
                                    if (batches[0] == 1) bothInside.await(60, TimeUnit.SECONDS);
                                    if (batches[0] == 2) {
                                        second[0] = JniUtils.getNumThreads();
                                        bothSeen.await(60, TimeUnit.SECONDS);
                                    }
                                } catch (Exception e) {
                                    throw new IllegalStateException("the other task was not generating at the same time", e);
                                }
                            }
                            return lease.completer().tokenizer().decode(ids, true);
                        }, 1, executorCores);
                        return second[0];
                    }
                }));
            }
            for (Future<Integer> f : seen) assertEquals(1, f.get(120, TimeUnit.SECONDS), "two tasks on two cores get one each");
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
    }
}
