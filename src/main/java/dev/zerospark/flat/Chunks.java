package dev.zerospark.flat;

/**
 * {@code total} elements cut into chunks of {@code size}: chunk i is {@code [start(i), start(i) + length(i))}, the
 * last one shorter. Indices and starts are {@code long}, so a tensor or buffer over 2^31 elements is walked with
 * bounded staging buffers and no int overflow.
 */
public record Chunks(long total, int size) {
    public Chunks {
        if (total < 0) {
            throw new IllegalArgumentException("cannot chunk " + total + " elements");
        }
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be >= 1 element, got " + size);
        }
    }

    /** Number of chunks; 0 for no elements. */
    public long count() {
        return total / size + (total % size == 0 ? 0 : 1);
    }

    public long start(long chunk) {
        check(chunk);
        return chunk * size;
    }

    public int length(long chunk) {
        check(chunk);
        return (int) Math.min(size, total - chunk * size);
    }

    private void check(long chunk) {
        if (chunk < 0 || chunk >= count()) {
            throw new IndexOutOfBoundsException("chunk " + chunk + " is outside [0, " + count() + ") of " + this);
        }
    }
}
