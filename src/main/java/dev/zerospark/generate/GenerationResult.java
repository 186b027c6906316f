package dev.zerospark.generate;

/**
 * Output of {@link Generator#generate}.
 *
 * @param sequences (B, P + N) prompt followed by generated tokens, pad after a row finished (as HF returns)
 * @param newTokens per row, the generated tokens up to and including the EOS / stop token
 * @param finishReasons per row
 */
public record GenerationResult(int[][] sequences, int[][] newTokens, FinishReason[] finishReasons) {}
