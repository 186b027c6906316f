package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Layout;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.checkpoint.OptimizerShards;
import dev.zerospark.checkpoint.internal.SafetensorsStream;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import dev.zerospark.testing.S3ProxyServer;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.training.data.DataCursor;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark export}'s contracts that need no checkpoint: a used output folder is never mixed into. */
class ExportCommandTest {
    @TempDir Path tmp;

    @Test
    void aNonEmptyOutputIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(out.resolve("tokenizer.json"), "{\"old\": true}");
        CliRun r = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("is not empty") && r.err().contains("--overwrite"), r.err());
        assertEquals("{\"old\": true}", Files.readString(out.resolve("tokenizer.json")));
    }

    @Test
    void overwriteNeverClearsBeforeTheCheckpointResolves() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(out.resolve("config.json"), "{}");
        CliRun r = CliRun.of("export", "--checkpoint", tmp.resolve("no-such-ckpt").toString(), "--out", out.toString(), "--overwrite");
        assertNotEquals(0, r.code(), r.toString());
        assertTrue(Files.exists(out.resolve("config.json")), "a failed export keeps the old folder");
    }

    @Test
    void aBadDtypeOrShardSizeExitsTwoNamingTheFlag() {
        CliRun dtype = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", tmp.resolve("a").toString(), "--dtype", "int8");
        assertEquals(2, dtype.code(), dtype.toString());
        assertTrue(dtype.err().contains("--dtype") && dtype.err().contains("int8"), dtype.err());
        CliRun size = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", tmp.resolve("a").toString(), "--max-shard-size", "5XB");
        assertEquals(2, size.code(), size.toString());
        assertTrue(size.err().contains("--max-shard-size") && size.err().contains("5XB"), size.err());
    }

    @Test
    void theCheckpointIsGivenOnceEitherWay() {
        CliRun none = CliRun.of("export", "--output", tmp.resolve("a").toString());
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("checkpoint URI is required"), none.err());
        CliRun two = CliRun.of("export", "file:/a", "--checkpoint", "file:/b", "--output", tmp.resolve("a").toString());
        assertEquals(2, two.code(), two.toString());
        assertTrue(two.err().contains("two checkpoints given"), two.err());
    }

    private static final Path GPT2 = TestPaths.fixture("tiny-gpt2");

    /**
     * A 2-rank checkpoint whose fp32 master shards hold the tiny GPT-2 fixture's weights, as training would have
     * saved them: export of it must compute what transformers recorded for the fixture.
     */
    private static String fixtureCheckpoint(Path dir) throws Exception {
        JsonNode config = ConfigLoader.jsonMapper().readTree(GPT2.resolve("config.json").toFile());
        List<Layout.Param> params = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        long numel = 0;
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(GPT2)) {
            for (TensorSpec s : ModelLoader.specs(HfConfigs.parse((ObjectNode) config))) {
                params.add(new Layout.Param(s.name(), numel, s.numel(), true, s.shape()));
                values.add(weights.readFloats(s.name()));
                numel += s.numel();
            }
        }
        float[] flat = new float[Math.toIntExact(numel + 1)]; // one element of padding: 2 shards of equal size
        for (int i = 0; i < params.size(); i++) System.arraycopy(values.get(i), 0, flat, (int) params.get(i).offset(), values.get(i).length);
        int shard = flat.length / 2;
        CheckpointStore store = new CheckpointStore(dir.toUri() + "ckpt", new Configuration());
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        for (int r = 0; r < 2; r++) {
            float[] master = java.util.Arrays.copyOfRange(flat, r * shard, (r + 1) * shard);
            float[] zeros = new float[shard];
            List<SafetensorsStream.Tensor> tensors = List.of(
                    SafetensorsStream.Tensor.i64(OptimizerShards.RANGE, new long[] {(long) r * shard, shard, 1}),
                    SafetensorsStream.Tensor.f32(OptimizerShards.MASTER, master),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG, zeros),
                    SafetensorsStream.Tensor.f32(OptimizerShards.EXP_AVG_SQ, zeros));
            String name = OptimizerShards.fileName(r);
            files.put(name, store.write(1, name, out -> SafetensorsStream.write(out, tensors)));
        }
        byte[] cfg = ConfigLoader.jsonMapper().writeValueAsBytes(config);
        files.put("model-config.json", store.write(1, "model-config.json", out -> out.write(cfg)));
        store.commit(new Manifest(1, "run", 2, 2, files, new Layout(2, numel, flat.length, shard, 1, params),
                JsonNodeFactory.instance.objectNode(), new DataCursor("t", 0, 0, 0, 0, null, null), null),
                new CheckpointStore.Retention(0, -1));
        return store.root();
    }

    /**
     * --output takes any Hadoop URI: the export streams to s3a:// (S3Proxy, its settings given as spark.hadoop.*
     * system properties, as spark-submit --conf sets them), and what it wrote, read back, verifies against the
     * fixture's transformers reference; a plain local path still works and holds the same bytes.
     */
    @Test
    void exportsToAnS3aUriThatReadsBackAndVerifiesAndToALocalPath() throws Exception {
        String ckpt = fixtureCheckpoint(tmp);
        Path local = tmp.resolve("hf-local");
        CliRun l = CliRun.of("export", ckpt, "--output", local.toString(), "--dtype", "fp32");
        assertEquals(0, l.code(), l.toString());
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            String out = s3.createBucket("export-cli") + "/models/hf";
            Map<String, String> props = new HashMap<>();
            s3.hadoopConf().forEach((k, v) -> props.put(CliHadoop.PREFIX + k, v));
            props.forEach(System::setProperty);
            try {
                CliRun r = CliRun.of("export", ckpt, "--output", out, "--dtype", "fp32");
                assertEquals(0, r.code(), r.toString());
                assertTrue(r.out().contains(out), r.out());
                CliRun again = CliRun.of("export", ckpt, "--output", out);
                assertEquals(2, again.code(), again.toString());
                assertTrue(again.err().contains("is not empty"), again.err());
                Configuration conf = CliHadoop.conf();
                org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(out);
                Path back = tmp.resolve("hf-back");
                assertTrue(FileUtil.copy(src.getFileSystem(conf), src, back.toFile(), false, conf));
                for (String f : List.of("model.safetensors", "config.json")) {
                    assertArrayEquals(Files.readAllBytes(local.resolve(f)), Files.readAllBytes(back.resolve(f)), f);
                }
                CliRun verify = CliRun.of("model", "verify", "--model", back.toString(),
                        "--reference", GPT2.resolve("reference_outputs.safetensors").toString());
                assertEquals(0, verify.code(), verify.toString());
                assertTrue(verify.out().contains("verify: PASS"), verify.out());
            } finally {
                props.keySet().forEach(System::clearProperty);
            }
        }
    }
}
