package dev.zerospark.template;

/**
 * A rendered prompt.
 *
 * @param text the full prompt text fed to the model
 * @param tokenIds {@code text} encoded at once
 * @param truncated whether the article body was cut to fit
 * @param examplesDropped how many few-shot examples were left out to fit
 */
public record RenderedPrompt(String text, int[] tokenIds, boolean truncated, int examplesDropped) {}
