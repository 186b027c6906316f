package dev.zerospark.zero;

import dev.zerospark.collective.ShardRanges;
import dev.zerospark.flat.FlatFloats;
import dev.zerospark.optim.AdamW;
import dev.zerospark.optim.AdamWConfig;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layout arithmetic at 70B parameters (nothing of that size is allocated), and AdamW ranges past 2^31. */
class LargeLayoutTest {
    static final long LLAMA_70B_NUMEL = 68_976_648_192L;

    /** Llama-2-70B's parameters in HF order: 80 layers, hidden 8192, 8 KV heads, intermediate 28672, vocab 32000. */
    static List<FlatParam> llama70b() {
        long h = 8192;
        long kv = 1024;
        long ff = 28672;
        long vocab = 32000;
        List<FlatParam> params = new ArrayList<>();
        long[] at = {0};
        java.util.function.BiConsumer<String, long[]> add = (name, shape) -> {
            FlatParam p = FlatParam.ofShape(name, at[0], shape);
            params.add(p);
            at[0] = p.end();
        };
        add.accept("model.embed_tokens.weight", new long[] {vocab, h});
        for (int l = 0; l < 80; l++) {
            String p = "model.layers." + l + ".";
            add.accept(p + "input_layernorm.weight", new long[] {h});
            add.accept(p + "self_attn.q_proj.weight", new long[] {h, h});
            add.accept(p + "self_attn.k_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.v_proj.weight", new long[] {kv, h});
            add.accept(p + "self_attn.o_proj.weight", new long[] {h, h});
            add.accept(p + "post_attention_layernorm.weight", new long[] {h});
            add.accept(p + "mlp.gate_proj.weight", new long[] {ff, h});
            add.accept(p + "mlp.up_proj.weight", new long[] {ff, h});
            add.accept(p + "mlp.down_proj.weight", new long[] {h, ff});
        }
        add.accept("model.norm.weight", new long[] {h});
        add.accept("lm_head.weight", new long[] {vocab, h});
        return params;
    }

    /**
     * Shards, pieces and buckets at world size N for 69B parameters: shards tile the padded buffer, pieces cover
     * every parameter element exactly once and map back to the right parameter offset, buckets tile every shard.
     * Before, {@code PartitionLayout.of} refused more than 2^31 - 9 elements.
     */
    @ParameterizedTest(name = "N={0}")
    @ValueSource(ints = {1, 2, 3, 8, 64, 1024})
    void seventyBillionParameterLayoutIsExact(int worldSize) {
        List<FlatParam> params = llama70b();
        PartitionLayout layout = PartitionLayout.of(params, worldSize, 2 * worldSize);
        assertEquals(LLAMA_70B_NUMEL, layout.numel());
        long unit = 2L * worldSize * worldSize;
        assertEquals(0, layout.paddedNumel() % unit);
        assertTrue(layout.paddedNumel() >= layout.numel() && layout.paddedNumel() - layout.numel() < unit);
        assertEquals(layout.paddedNumel(), layout.shardSize() * worldSize);

        ShardRanges shards = layout.shards();
        long[] perParam = new long[params.size()];
        long expectedFlat = 0;
        for (int r = 0; r < worldSize; r++) {
            assertEquals((long) r * layout.shardSize(), layout.shardOffset(r));
            assertEquals(layout.shardOffset(r), shards.offset(r));
            assertEquals(layout.shardSize(), shards.length(r));
            for (PartitionLayout.Piece piece : layout.pieces(r)) {
                FlatParam p = params.get(piece.param());
                assertEquals(expectedFlat, piece.flatOffset(), "rank " + r + " piece of " + p.name());
                assertEquals(p.offset() + piece.paramOffset(), piece.flatOffset());
                assertEquals(perParam[piece.param()], piece.paramOffset(), p.name());
                assertTrue(piece.length() > 0 && piece.flatOffset() + piece.length() <= layout.shardOffset(r)
                        + layout.shardSize());
                perParam[piece.param()] += piece.length();
                expectedFlat += piece.length();
            }
        }
        assertEquals(LLAMA_70B_NUMEL, expectedFlat);
        for (int i = 0; i < params.size(); i++) {
            assertEquals(params.get(i).numel(), perParam[i], params.get(i).name());
        }
        assertEquals(layout.paddedNumel(), shards.end());

        // DeepSpeed's default reduce bucket of 5e8 elements, and one above 2^31.
        for (long bucketElements : new long[] {500_000_000L, (1L << 31) + 3}) {
            GradientBuckets buckets = GradientBuckets.of(layout, bucketElements);
            long[] covered = new long[worldSize];
            for (int b = 0; b < buckets.count(); b++) {
                ShardRanges bucket = buckets.bucket(b);
                for (int r = 0; r < worldSize; r++) {
                    assertEquals(layout.shardOffset(r) + covered[r], bucket.offset(r));
                    assertTrue(bucket.length(r) > 0 && bucket.length(r) <= bucketElements);
                    covered[r] += bucket.length(r);
                }
            }
            for (int r = 0; r < worldSize; r++) {
                assertEquals(layout.shardSize(), covered[r], "bucket coverage of shard " + r);
            }
        }
    }

    /**
     * A range of a buffer starting past element 2^31 (a 2^31 + 90-element parameter without decay, then one with
     * decay): AdamW on it, loaded from and stored into a segmented buffer, is bitwise per-parameter AdamW.
     */
    @Test
    void adamWOnARangePastElementTwoToThe31() {
        long big = (1L << 31) + 90;
        List<FlatParam> params = List.of(new FlatParam("big", 0, big, false), new FlatParam("w", big, 50, true));
        PartitionLayout layout = PartitionLayout.of(params, 1, 1);
        long start = big - 10;
        AdamWConfig config = new AdamWConfig(0.9, 0.95, 1e-8, 0.1);
        try (NDManager manager = NDManager.newBaseManager("PyTorch");
             ShardedAdamW adam = ShardedAdamW.forRange(layout, start, 60, config, manager)) {
        assertEquals(start, adam.rangeOffset());
        Random random = new Random(4);
        float[] init = new float[60];
        for (int i = 0; i < init.length; i++) {
            init[i] = (float) random.nextGaussian();
        }
        FlatFloats flat = FlatFloats.segmented(layout.paddedNumel(), 1 << 12);
        flat.put(start, init, 0, init.length);
        adam.loadMaster(flat);

        float[] reference = init.clone();
        float[] m = new float[60];
        float[] v = new float[60];
        for (int step = 1; step <= 3; step++) {
            float[] grad = new float[60];
            for (int i = 0; i < grad.length; i++) {
                grad[i] = (float) (random.nextGaussian() * 1e-2);
            }
            adam.step(manager.create(grad), step, 1e-3);
            AdamW.update(reference, grad, m, v, 0, 10, step, 1e-3, config, false);
            AdamW.update(reference, grad, m, v, 10, 50, step, 1e-3, config, true);
        }
        adam.storeMaster(flat);
        float[] back = new float[60];
        flat.get(start, back, 0, 60);
        assertArrayEquals(reference, back);
        float[] state = new float[60];
        adam.read(ShardedAdamW.State.EXP_AVG, 0, state, 0, 60);
        assertArrayEquals(m, state);
        adam.read(ShardedAdamW.State.EXP_AVG_SQ, 0, state, 0, 60);
        assertArrayEquals(v, state);
        }
    }
}
