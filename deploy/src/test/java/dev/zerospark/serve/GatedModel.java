package dev.zerospark.serve;

import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real model with a gate in front: while closed, the model thread waits inside its batch, so a test can fill the
 * queue behind it deterministically. Records each batch's size.
 */
final class GatedModel implements BatchModel {
    private final BatchModel inner;
    private final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch firstBatchEntered = new CountDownLatch(1);
    final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

    GatedModel(TextCompleter completer) {
        this.inner = BatchModel.of(completer);
    }

    void open() {
        gate.countDown();
    }

    @Override
    public List<TextCompleter.Completion> complete(List<String> prompts, GenerationOptions options) {
        batchSizes.add(prompts.size());
        firstBatchEntered.countDown();
        try {
            if (!gate.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the test never opened the gate");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted at the gate", e);
        }
        return inner.complete(prompts, options);
    }

    @Override
    public GenerationOptions options(int maxTokens, double temperature, double topP, long seed, List<String> stop) {
        return inner.options(maxTokens, temperature, topP, seed, stop);
    }

    @Override
    public int contextLength() {
        return inner.contextLength();
    }
}
