package dev.zerospark.data.generate.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
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
}
