package dev.zerospark.model;

import dev.zerospark.testing.TestPaths;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.zerospark.safetensors.DType;
import dev.zerospark.safetensors.HalfFloats;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import dev.zerospark.safetensors.SafetensorsFile;
import dev.zerospark.safetensors.SafetensorsWriter;
import dev.zerospark.safetensors.WritableTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CheckpointRoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void saveLoadGivesIdenticalLogits(String fixture) throws Exception {
        Path src = TestPaths.fixture(fixture);
        Path out = tmp.resolve(fixture);
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm model = ModelLoader.load(src, root);
             SafetensorsFile ref = SafetensorsFile.open(src.resolve("reference_outputs.safetensors"))) {
            // 100 kB shards force an index for these ~0.3 MB models
            HfCheckpointWriter.save(model, out, new HfCheckpointWriter.Options(100_000, DType.F32, src));
            for (String f : List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                    SafetensorsCheckpoint.INDEX_FILE)) {
                assertTrue(Files.exists(out.resolve(f)), f);
            }
            try (var files = Files.list(out)) {
                assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                        .count() > 1, "expected several shards");
            }
            long[][] ids = ModelForwardTest.rows(ref.readLongs("input_ids"), 2);
            float[] before = model.logits(ids, null);
            try (CausalLm reloaded = ModelLoader.load(out, root)) {
                assertEquals(model.config().raw().get("vocab_size"), reloaded.config().raw().get("vocab_size"));
                assertArrayEquals(before, reloaded.logits(ids, null));
            }
        }
    }

    @Test
    void bf16CheckpointLoadsUpcastExactly() throws Exception {
        Path src = TestPaths.fixture("tiny-llama");
        Path out = tmp.resolve("bf16");
        try (NDManager root = NDManager.newBaseManager("PyTorch"); CausalLm model = ModelLoader.load(src, root)) {
            HfCheckpointWriter.save(model, out, new HfCheckpointWriter.Options(1L << 30, DType.BF16, src));
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertEquals(DType.BF16, f.info("model.norm.weight").dtype());
            }
            assertTrue(Files.readString(out.resolve("config.json")).contains("bfloat16"));
            try (CausalLm bf = ModelLoader.load(out, root)) {
                for (TensorSpec s : model.parameters().specs()) {
                    float[] orig = model.parameters().read(s.name());
                    float[] got = bf.parameters().read(s.name());
                    for (int i = 0; i < orig.length; i++) {
                        assertEquals(HalfFloats.bf16ToFloat(HalfFloats.toBf16(orig[i])), got[i], 0f, s.name());
                    }
                }
                long[][] ids = {{1, 2, 3, 4, 5}};
                float[] a = model.logits(ids, null);
                float[] b = bf.logits(ids, null);
                assertTrue(ModelForwardTest.maxAbsDiff(a, b) < 0.1, "bf16 logits drift " + ModelForwardTest.maxAbsDiff(a, b));
            }
        }
    }

    @Test
    void tiedLlamaWithSingleKvHeadRoundTrips() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode j = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("model_type", "llama").put("vocab_size", 50).put("hidden_size", 24)
                .put("intermediate_size", 40).put("num_hidden_layers", 2).put("num_attention_heads", 3)
                .put("num_key_value_heads", 1).put("head_dim", 10).put("rope_theta", 500000.0)
                .put("rms_norm_eps", 1e-6).put("tie_word_embeddings", true);
        LlamaConfig cfg = (LlamaConfig) HfConfigs.parse(j);
        try (NDManager root = NDManager.newBaseManager("PyTorch"); CausalLm model = RandomInit.create(cfg, root, 3)) {
            assertTrue(model.parameters().names().stream().noneMatch(n -> n.equals("lm_head.weight")));
            long[][] ids = {{1, 2, 3, 4}, {5, 6, 7, 8}};
            float[] before = model.logits(ids, null);
            assertEquals(2 * 4 * 50, before.length);
            Path out = tmp.resolve("tied-llama");
            HfCheckpointWriter.save(model, out, HfCheckpointWriter.Options.defaults(null));
            assertTrue(Files.exists(out.resolve("generation_config.json")));
            try (CausalLm back = ModelLoader.load(out, root)) {
                assertEquals(500000.0, ((LlamaConfig) back.config()).ropeTheta());
                assertArrayEquals(before, back.logits(ids, null));
            }
        }
    }

    @Test
    void originalOpenAiGpt2NamingLoads() throws Exception {
        // openai-community/gpt2 stores names without "transformer." and keeps attn.bias mask buffers
        Path src = TestPaths.fixture("tiny-gpt2");
        Path dir = tmp.resolve("openai-names");
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        List<WritableTensor> ts = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (String n : f.names()) {
                ts.add(WritableTensor.f32(n.substring("transformer.".length()), f.info(n).shape(), f.readFloats(n)));
            }
        }
        ts.add(WritableTensor.f32("h.0.attn.bias", new long[] {1, 1, 2, 2}, new float[] {1, 0, 1, 1}));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), ts, Map.of());
        try (NDManager root = NDManager.newBaseManager("PyTorch");
             CausalLm a = ModelLoader.load(src, root);
             CausalLm b = ModelLoader.load(dir, root)) {
            long[][] ids = {{3, 1, 4, 1, 5}};
            assertArrayEquals(a.logits(ids, null), b.logits(ids, null));
        }
    }

    /** Copies the fixture's config and weights with one tensor edited (dropped, reshaped) or one added. */
    private Path variant(String name, String drop, String reshape, String add) throws Exception {
        Path src = TestPaths.fixture("tiny-gpt2");
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        List<WritableTensor> ts = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
            for (String n : f.names()) {
                if (n.equals(drop)) {
                    continue;
                }
                float[] v = f.readFloats(n);
                long[] shape = f.info(n).shape();
                if (n.equals(reshape)) {
                    v = java.util.Arrays.copyOf(v, v.length / 2);
                    shape = new long[] {shape[0] / 2};
                }
                ts.add(WritableTensor.f32(n, shape, v));
            }
        }
        if (add != null) {
            ts.add(WritableTensor.f32(add, new long[] {2, 3}, new float[6]));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), ts, Map.of());
        return dir;
    }

    @Test
    void mismatchedCheckpointsNameTheTensorAndShapes() throws Exception {
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            Path missing = variant("missing", "transformer.h.1.ln_2.bias", null, null);
            MissingTensorException m = assertThrows(MissingTensorException.class, () -> ModelLoader.load(missing, root));
            assertTrue(m.getMessage().contains("transformer.h.1.ln_2.bias") && m.getMessage().contains("[64]"),
                    m.getMessage());

            Path unexpected = variant("unexpected", null, null, "transformer.h.0.attn.extra");
            UnexpectedTensorException u = assertThrows(UnexpectedTensorException.class,
                    () -> ModelLoader.load(unexpected, root));
            assertTrue(u.getMessage().contains("transformer.h.0.attn.extra") && u.getMessage().contains("[2, 3]"),
                    u.getMessage());

            Path shaped = variant("shaped", null, "transformer.ln_f.weight", null);
            TensorShapeMismatchException s = assertThrows(TensorShapeMismatchException.class,
                    () -> ModelLoader.load(shaped, root));
            assertTrue(s.getMessage().contains("transformer.ln_f.weight") && s.getMessage().contains("[32]")
                    && s.getMessage().contains("[64]"), s.getMessage());
        }
    }
}
