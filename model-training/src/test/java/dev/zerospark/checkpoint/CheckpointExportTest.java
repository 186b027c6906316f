package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.DType;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import dev.zerospark.testing.S3ProxyServer;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Export rebuilds every weight from the fp32 master shards (no model copy is saved) and streams it, one tensor at
 * a time, to any Hadoop URI, in the dtype and shard size asked for.
 */
class CheckpointExportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static float value(long flat) {
        return (float) ((flat * 2654435761L % 1_000_003L) / 1_000_003.0 - 0.5);
    }

    /** A gpt2 config like the tiny fixture's, with another width and depth. */
    static ObjectNode gpt2(int embd, int layers) throws Exception {
        ObjectNode cfg = (ObjectNode) JSON.readTree(TestPaths.fixture("tiny-gpt2").resolve("config.json").toFile());
        return cfg.put("n_embd", embd).put("n_layer", layers);
    }

    /**
     * Saves step 1 of a {@code world}-rank run of {@code config} whose flat master weights are {@link #value}: the
     * optimizer shards streamed through the store, the model config, and the layout in the manifest.
     */
    static Manifest saveCheckpoint(CheckpointStore store, ObjectNode configJson, int world) throws Exception {
        ModelConfig config = HfConfigs.parse(configJson);
        List<Layout.Param> params = new ArrayList<>();
        long numel = 0;
        for (TensorSpec s : ModelLoader.specs(config)) {
            params.add(new Layout.Param(s.name(), numel, s.numel(), true, s.shape()));
            numel += s.numel();
        }
        long shard = (numel + world - 1) / world;
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        long total = numel;
        for (int r = 0; r < world; r++) {
            long start = r * shard;
            // Streamed, never whole in memory: the big models below are larger than this JVM should have to hold.
            List<SafetensorsStream.Tensor> tensors = List.of(
                    SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {start, shard, 1}),
                    SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, shard, (from, dst, off, n) -> {
                        for (int i = 0; i < n; i++) dst[off + i] = start + from + i < total ? value(start + from + i) : 0f;
                    }),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, shard, CheckpointExportTest::zeros),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, shard, CheckpointExportTest::zeros));
            String name = OptimizerShards.fileName(r);
            files.put(name, store.write(1, name, out -> SafetensorsStream.write(out, tensors)));
        }
        byte[] cfg = JSON.writeValueAsBytes(configJson);
        files.put(RankCheckpoint.MODEL_CONFIG, store.write(1, RankCheckpoint.MODEL_CONFIG, out -> out.write(cfg)));
        Layout layout = new Layout(world, numel, shard * world, shard, 1, params);
        store.commit(new Manifest(1, "run", world, 2, files, layout, JsonNodeFactory.instance.objectNode(),
                        new DataCursor("t", 0, 0, 0, 0, null, null), null),
                new CheckpointStore.Retention(0, -1));
        return store.manifest(1);
    }

    private static void zeros(long from, float[] dst, int off, int n) {
        java.util.Arrays.fill(dst, off, off + n, 0f);
    }

    /**
     * Every exported tensor holds the master values of its layout range, as {@code dtype} rounds them (compared a
     * range at a time: the tensors may be larger than this JVM should hold twice).
     */
    static void assertExported(Path dir, Manifest m, DType dtype) throws Exception {
        Layout layout = m.layout();
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            assertEquals(layout.params().size(), ck.names().size());
            for (Layout.Param p : layout.params()) {
                assertEquals(dtype, ck.info(p.name()).dtype(), p.name());
                assertEquals(p.numel(), ck.info(p.name()).numel(), p.name());
                float[] got = new float[1 << 20];
                float[] want = new float[got.length];
                for (long from = 0; from < p.numel(); from += got.length) {
                    int n = (int) Math.min(got.length, p.numel() - from);
                    ck.readFloats(p.name(), from, got, 0, n);
                    for (int i = 0; i < n; i++) {
                        float v = value(p.offset() + from + i);
                        want[i] = switch (dtype) {
                            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.toBf16(v));
                            case F16 -> HalfFloats.toFloat(HalfFloats.toHalf(v));
                            default -> v;
                        };
                    }
                    assertArrayEquals(java.util.Arrays.copyOf(want, n), java.util.Arrays.copyOf(got, n), p.name() + " from " + from);
                }
            }
        }
    }

    @Test
    void exportsBf16ShardsWithAnIndexToS3a(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        s3.hadoopConf().forEach(conf::set);
        String bucket = s3.createBucket("export");
        CheckpointStore store = new CheckpointStore(bucket + "/ckpt", conf);
        Manifest m = saveCheckpoint(store, gpt2(64, 2), 2);
        String out = bucket + "/hf";
        int tensors = CheckpointExport.export(new CheckpointExport.Target(store, m), out, conf,
                new CheckpointExport.Options(DType.BF16, 40_000, null));
        assertEquals(m.layout().params().size(), tensors);
        org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
        var fs = outPath.getFileSystem(conf);
        long shards = 0;
        for (FileStatus st : fs.listStatus(outPath)) {
            if (st.getPath().getName().matches("model-\\d{5}-of-\\d{5}\\.safetensors")) shards++;
            FileUtil.copy(fs, st.getPath(), dir.resolve(st.getPath().getName()).toFile(), false, conf);
        }
        assertTrue(shards > 1, "40 kB shards: several files, got " + shards);
        assertTrue(Files.exists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        assertFalse(Files.exists(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
        assertEquals("bfloat16", JSON.readTree(dir.resolve("config.json").toFile()).get("dtype").asText());
        assertTrue(Files.exists(dir.resolve("generation_config.json")));
        assertExported(dir, m, DType.BF16);
    }

    /**
     * A model of about 230 MB of fp32 weights, whose embedding alone (100k x 512, 205 MB) outweighs the child JVM's
     * 128 MB heap, exports there: export holds a bounded range of a tensor at a time, never a whole tensor. Round-tripped
     * value by value.
     */
    @Test
    void aModelAndATensorLargerThanTheHeapExportInAChildJvm(@TempDir Path dir) throws Exception {
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        Manifest m = saveCheckpoint(store, gpt2(512, 2).put("vocab_size", 100_000), 2);
        long heap = 128L << 20;
        long largest = 4 * m.layout().params().stream().mapToLong(Layout.Param::numel).max().orElseThrow();
        assertTrue(largest > heap, "the largest tensor outweighs the child's heap: " + largest + " bytes");
        Path out = dir.resolve("hf");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx" + (heap >> 20) + "m", "--add-modules=jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Child.class.getName(), dir.toUri() + "ckpt", out.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child export finished");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("child.log")));
        assertExported(out, m, DType.F32);
    }

    /**
     * Without a dtype, export writes the base model's: {@code torch_dtype} (or transformers 5's {@code dtype}) as
     * recorded in the checkpoint's model config, fp32 when it records neither; config.json says the same.
     */
    @ParameterizedTest
    @CsvSource({"torch_dtype, bfloat16, BF16", "dtype, bfloat16, BF16", "torch_dtype, float16, F16",
            "torch_dtype, float32, F32", "'', '', F32"})
    void withoutADtypeTheBaseModelsDtypeIsExported(String key, String name, DType want, @TempDir Path dir) throws Exception {
        ObjectNode config = gpt2(64, 2);
        config.remove(List.of("torch_dtype", "dtype"));
        if (!key.isEmpty()) config.put(key, name);
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        Manifest m = saveCheckpoint(store, config, 2);
        Path out = dir.resolve("hf");
        CheckpointExport.export(new CheckpointExport.Target(store, m), out.toUri().toString(), new Configuration(),
                new CheckpointExport.Options(null, 1L << 30, null));
        assertExported(out, m, want);
        String written = want == DType.BF16 ? "bfloat16" : want == DType.F16 ? "float16" : "float32";
        var exported = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(written, exported.path("torch_dtype").asText(exported.path("dtype").asText()), exported.toString());
    }

    /**
     * Export reads each byte of the master weights once, plus the shards' headers, counted by the filesystem: though
     * the writer asks for small ranges, tensor after tensor, every 4 MB checkpoint chunk is fetched a single time.
     * Reading whole tensors fetched a chunk again for each small tensor (2.8x the master bytes of this model); 1 MB
     * ranges straight from the shards fetch each chunk several times (5.8x).
     */
    @Test
    void exportReadsEachMasterByteOnce(@TempDir Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set("fs.countfs.impl", CountingLocalFileSystem.class.getName());
        conf.setBoolean("fs.countfs.impl.disable.cache", true);
        CheckpointStore store = new CheckpointStore("countfs://" + dir.resolve("ckpt"), conf);
        Manifest m = saveCheckpoint(store, gpt2(256, 2).put("vocab_size", 50_000), 2);
        CountingLocalFileSystem.reset();
        CheckpointExport.export(new CheckpointExport.Target(store, m), dir.resolve("hf").toUri().toString(), new Configuration(),
                new CheckpointExport.Options(DType.F32, 1L << 40, null));
        long read = CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(0)) + CountingLocalFileSystem.bytesRead(OptimizerShards.fileName(1));
        long master = 4 * m.layout().numel();
        assertTrue(master > 10 * CheckpointStore.DEFAULT_CHUNK_BYTES, "several chunks per shard: " + master);
        assertTrue(read >= master && read <= master + (64 << 10), "read " + read + " bytes of shards whose master tensors hold " + master);
        assertExported(dir.resolve("hf"), m, DType.F32);
    }

    /** The child JVM: exports the newest step of a checkpoint root to a directory URI, fp32. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Configuration conf = new Configuration();
            CheckpointExport.Target target = CheckpointExport.resolve(args[0], conf);
            CheckpointExport.export(target, args[1], conf, CheckpointExport.Options.defaults(null));
        }
    }
}
