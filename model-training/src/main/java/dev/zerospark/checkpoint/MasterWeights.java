package dev.zerospark.checkpoint;


/**
 * A checkpoint's flat fp32 master weights, read by export through one window of {@link #WINDOW_ELEMENTS} (16 MB),
 * whatever the ranges asked for. Each read of the shards fetches and verifies whole checkpoint chunks, so a range
 * that ends inside a chunk makes the next range fetch that chunk again: asked tensor by tensor or in small ranges,
 * export would fetch a whole 4 MB chunk for each small tensor (norms, biases) and each chunk of a large one several
 * times. The window moves in steps that start at a multiple of its size from the start of the shard holding them and
 * stop at that shard's end; the checkpoint writer cuts each shard's master tensor into chunks from its first element,
 * so with chunk sizes that divide the window ({@link CheckpointStore#DEFAULT_CHUNK_BYTES} does) the steps end on chunk
 * boundaries and each chunk is fetched once. Other chunk sizes read correctly, with some chunks fetched twice.
 */
final class MasterWeights {
    static final int WINDOW_ELEMENTS = 1 << 22;

    private final OptimizerShards shards;
    /** Elements in each rank's shard (ZeRO stages 1-2), or 0: every shard holds the whole buffer (stage 0). */
    private final long shardSize;
    /** Past the last parameter: nothing after it is read. */
    private final long end;
    private float[] window;
    private long windowFrom;
    private int windowLength;

    private MasterWeights(OptimizerShards shards, long shardSize, long end) {
        this.shards = shards;
        this.shardSize = shardSize;
        this.end = end;
    }

    /** The master weights of {@code manifest}'s step, read from its opened {@code shards}. */
    static MasterWeights of(OptimizerShards shards, Manifest manifest) {
        long last = 0;
        for (Layout.Param p : manifest.layout().params()) last = Math.max(last, p.offset() + p.numel());
        return new MasterWeights(shards, manifest.zeroStage() > 0 ? Math.max(0, manifest.layout().shardSize()) : 0, last);
    }

    /** Copies flat elements {@code [from, from + n)} into {@code dst[0, n)}. */
    void read(long from, float[] dst, int n) {
        if (from < 0 || from + n > end) {
            throw new IllegalArgumentException("flat elements " + from + ".." + (from + n) + " are outside the parameters (0.." + end + ")");
        }
        int done = 0;
        while (done < n) {
            long at = from + done;
            if (window == null || at < windowFrom || at >= windowFrom + windowLength) fill(at);
            int k = (int) Math.min(n - done, windowFrom + windowLength - at);
            System.arraycopy(window, (int) (at - windowFrom), dst, done, k);
            done += k;
        }
    }

    /** Moves the window to the step that holds {@code at}. */
    private void fill(long at) {
        long shardStart = shardSize > 0 ? at / shardSize * shardSize : 0;
        long shardEnd = shardSize > 0 ? shardStart + shardSize : Long.MAX_VALUE;
        long from = shardStart + (at - shardStart) / WINDOW_ELEMENTS * WINDOW_ELEMENTS;
        long to = Math.min(Math.min(from + WINDOW_ELEMENTS, shardEnd), end);
        if (window == null) window = new float[(int) Math.min(WINDOW_ELEMENTS, Math.max(1, end))];
        windowLength = 0; // empty until the read succeeds
        shards.read(OptimizerShards.MASTER, from, window, 0, (int) (to - from));
        windowFrom = from;
        windowLength = (int) (to - from);
    }
}
