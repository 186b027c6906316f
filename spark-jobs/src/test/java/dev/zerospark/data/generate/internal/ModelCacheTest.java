package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.CountDownLatch;
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
    void aTaskLeftGeneratingAloneTakesTheCoresOfTheTaskThatFinished() throws Exception {
        List<String> never = List.of("\u0000never\u0000");
        int newTokens = 4;
        int executorCores = 2;
        // One row per batch (batch_tokens 1): the thread count is chosen before each. Task A has three batches, B two.
        // Both pass `bothInside` in their first batch and record their second batch's threads before either goes on
        // (`bothSeen`); A ends its second batch only once B has returned (`bLeft`), so A's third batch runs alone.
        CyclicBarrier bothInside = new CyclicBarrier(2);
        CyclicBarrier bothSeen = new CyclicBarrier(2);
        CountDownLatch bLeft = new CountDownLatch(1);
        int[][] threads = new int[2][4]; // per task, per batch (1-based): the libtorch threads it ran with
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> after = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int task = t;
                after.add(pool.submit(() -> {
                    try (ModelCache.Lease lease = ModelCache.acquire(MODEL_ID, Device.cpu(), "fp32", () -> TestPaths.fixture("tiny-gpt2"))) {
                        JniUtils.setNumThreads(1); // the task's own core, as PartitionGenerator sets it (libtorch is loaded now)
                        GenerationOptions o = lease.completer().options(newTokens, 0, 0, 1, 0, never);
                        List<BatchGenerator.Row> rows = prompts(lease, task).subList(0, task == 0 ? 3 : 2);
                        List<BatchGenerator.Output> expected = lease.generate(rows, o, 8192, ids -> lease.completer().tokenizer().decode(ids, true));
                        int[] batch = {0};
                        List<BatchGenerator.Output> shared = lease.generate(rows, o, 1, ids -> {
                            try {
                                if (ids.length == 1) { // a batch's first new token
                                    threads[task][++batch[0]] = JniUtils.getNumThreads();
                                    if (batch[0] == 1) bothInside.await(60, TimeUnit.SECONDS);
                                    if (batch[0] == 2) bothSeen.await(60, TimeUnit.SECONDS);
                                }
                                if (task == 0 && batch[0] == 2 && ids.length == newTokens) assertTrue(bLeft.await(60, TimeUnit.SECONDS));
                            } catch (Exception e) {
                                throw new IllegalStateException("the other task was not generating at the same time", e);
                            }
                            return lease.completer().tokenizer().decode(ids, true);
                        }, 1, executorCores);
                        for (int i = 0; i < rows.size(); i++) assertArrayEquals(expected.get(i).tokens(), shared.get(i).tokens(), "task " + task + " row " + i);
                        return JniUtils.getNumThreads();
                    } finally {
                        if (task == 1) bLeft.countDown();
                    }
                }));
            }
            for (Future<Integer> f : after) assertEquals(1, f.get(120, TimeUnit.SECONDS), "the task's own core again after generating");
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        }
        assertEquals(1, threads[0][2], "two tasks generating on two cores: one thread each");
        assertEquals(1, threads[1][2], "two tasks generating on two cores: one thread each");
        assertEquals(executorCores, threads[0][3], "alone after the other returned: both cores");
    }
}
