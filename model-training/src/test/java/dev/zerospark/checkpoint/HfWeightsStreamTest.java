package dev.zerospark.checkpoint;

import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.DType;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HF weights writer asks its source for bounded ranges, with 64-bit offsets, whatever a tensor's size. */
class HfWeightsStreamTest {

    /**
     * A vocab x hidden embedding of more than 2^31 elements (65,537 x 32,768), between two small tensors, written as
     * bf16 (4.3 GB, kept sparse on disk by {@link SparseTailFileSystem}): the source is asked for every element once, in
     * order, in ranges of at most {@link HfWeightsStream#BUFFER_ELEMENTS}; the header's offsets pass 2^32 bytes and the
     * file is as long as they say.
     */
    @Test
    void aTensorOfMoreThan2To31ElementsStreamsInBoundedRanges(@TempDir Path dir) throws Exception {
        TensorSpec big = new TensorSpec("wte", new long[] {65_537, 32_768});
        assertTrue(big.numel() > Integer.MAX_VALUE);
        List<TensorSpec> specs = List.of(new TensorSpec("a", new long[] {3}), big, new TensorSpec("c", new long[] {5}));
        Map<String, Long> next = new HashMap<>(); // the element each tensor's next range must start at
        int[] largestDst = {0};
        Configuration conf = new Configuration();
        conf.set("fs.sparsetail.impl", SparseTailFileSystem.class.getName());
        List<String> files = HfWeightsStream.write("sparsetail://" + dir.resolve("hf"), conf, specs, DType.BF16, Long.MAX_VALUE,
                (spec, from, dst, n) -> {
                    assertEquals(next.getOrDefault(spec.name(), 0L), from, spec.name());
                    assertTrue(n > 0 && n <= HfWeightsStream.BUFFER_ELEMENTS && n <= dst.length, "range of " + n);
                    largestDst[0] = Math.max(largestDst[0], dst.length);
                    for (int i = 0; i < n; i++) dst[i] = (from + i) & 255; // exact in bf16
                    next.put(spec.name(), from + n);
                });
        for (TensorSpec s : specs) assertEquals(s.numel(), next.get(s.name()), s.name() + " asked for whole");
        assertEquals(HfWeightsStream.BUFFER_ELEMENTS, largestDst[0], "one read buffer, of the bounded size");
        assertEquals(List.of(SafetensorsCheckpoint.SINGLE_FILE), files);

        Path file = dir.resolve("hf").resolve(SafetensorsCheckpoint.SINGLE_FILE);
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(file)) {
            assertEquals(big.numel(), ck.info("wte").numel());
            assertEquals(DType.BF16, ck.info("wte").dtype());
            float[] head = new float[1000]; // within the bytes the filesystem kept
            ck.readFloats("wte", 0, head, 0, head.length);
            for (int i = 0; i < head.length; i++) assertEquals(i & 255, head[i], "wte[" + i + "]");
            assertEquals(2 * (3 + big.numel()), ck.info("c").begin(), "c starts past 2^32 bytes");
            ck.readFloats("a", 0, head, 0, 3);
            assertEquals(2f, head[2]);
        }
        byte[] prefix = new byte[8];
        try (var in = Files.newInputStream(file)) {
            assertEquals(8, in.readNBytes(prefix, 0, 8));
        }
        long header = java.nio.ByteBuffer.wrap(prefix).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(8 + header + 2 * (3 + big.numel() + 5), Files.size(file), "the file is as long as its header says");
    }
}
