package dev.zerospark.training.data;

/**
 * Token rows read from the table: {@code ids[i]} is one block, {@code masks[i]} its loss mask (null for lm_blocks,
 * which trains on every next token).
 */
public record Rows(int[][] ids, float[][] masks) {

    public int size() {
        return ids.length;
    }
}
