package dev.zerospark.training;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zerospark.config.TrainConfig;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelConfigException;
import dev.zerospark.model.RandomInit;
import dev.zerospark.train.TrainableModel;
import dev.zerospark.model.Precision;
import dev.zerospark.train.TrainableModels;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.util.Map;

/**
 * Where a run's model comes from: an HF directory (fine-tuning; any Hadoop URI, copied to local disk first) or an
 * architecture plus a size preset (from scratch, seeded). The config JSON travels with every checkpoint.
 *
 * @param activationCheckpointing the opened model recomputes block activations in backward
 *     (train.activation_checkpointing)
 * @param randomConfig an HF config.json (text) to initialise at random instead of a preset, for benchmarks of any
 *     shape ({@code bench memory}); null otherwise
 * @param precision the opened model's weights, activations and gradients (train.precision: fp32 | bf16 | fp16)
 */
public record ModelSource(String hfDir, String arch, String preset, int vocabSize, long seed,
                          boolean activationCheckpointing, String randomConfig, String precision)
        implements Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelSource {
        if (hfDir == null && randomConfig == null && (arch == null || preset == null)) {
            throw new IllegalArgumentException("set either --model (an HF directory) or --arch with --preset");
        }
    }

    /** An HF directory or a preset. */
    public ModelSource(String hfDir, String arch, String preset, int vocabSize, long seed, boolean activationCheckpointing) {
        this(hfDir, arch, preset, vocabSize, seed, activationCheckpointing, null, "fp32");
    }

    /** A from-scratch model of exactly {@code config}'s shape, seeded, in fp32. */
    public static ModelSource random(ObjectNode config, long seed, boolean activationCheckpointing) {
        return random(config, seed, activationCheckpointing, "fp32");
    }

    /** A from-scratch model of exactly {@code config}'s shape, seeded, training in {@code precision}. */
    public static ModelSource random(ObjectNode config, long seed, boolean activationCheckpointing, String precision) {
        return new ModelSource(null, null, null, config.path("vocab_size").asInt(), seed, activationCheckpointing,
                config.toString(), precision);
    }

    /** The run's model as {@code train} configures it, with a vocabulary of {@code vocabSize} for from-scratch presets. */
    static ModelSource of(TrainConfig t, int vocabSize) {
        return new ModelSource(t.model(), t.arch(), t.preset(), vocabSize, t.seed(), t.activationCheckpointing(), null,
                t.precision());
    }

    /** A source whose model keeps every activation for backward (no activation checkpointing). */
    public ModelSource(String hfDir, String arch, String preset, int vocabSize, long seed) {
        this(hfDir, arch, preset, vocabSize, seed, false, null, "fp32");
    }

    /** HF config.json of the model, as JSON text. */
    public String configJson(Configuration conf) throws IOException {
        if (hfDir != null) {
            Path p = new Path(hfDir, "config.json");
            try (var in = p.getFileSystem(conf).open(p)) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return randomConfig != null ? randomConfig : JSON.writeValueAsString(preset(arch, preset, vocabSize));
    }

    /** The model's architecture, from its config.json (validated here) or the preset; read on the driver. */
    public ModelConfig modelConfig(Configuration conf) throws IOException {
        JsonNode json = JSON.readTree(configJson(conf));
        if (!(json instanceof ObjectNode config)) {
            throw new ModelConfigException("", hfDir + "/config.json is not a JSON object");
        }
        return HfConfigs.parse(config);
    }

    /** Builds the trainable model on this JVM's CPU. */
    public TrainableModel open(Configuration conf) throws IOException {
        return open(conf, Device.cpu());
    }

    /** Builds the trainable model with its weights on {@code device} (a rank's GPU, when Spark assigned one). */
    public TrainableModel open(Configuration conf, Device device) throws IOException {
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try {
            CausalLm model;
            if (hfDir != null) {
                try (LocalDir local = localCopy(hfDir, conf)) {
                    model = ModelLoader.load(local.path(), manager); // weights are on the device once this returns
                }
            } else {
                model = RandomInit.create(HfConfigs.parse((ObjectNode) JSON.readTree(configJson(conf))), manager, seed);
            }
            return TrainableModels.wrap(model, manager, activationCheckpointing, Precision.of(precision));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A local folder holding the HF directory: the path itself for local URIs, else a copy under /tmp that
     * {@link LocalDir#close()} deletes, so an attempt leaves no copy of the model behind whether it loads or fails.
     */
    static LocalDir localCopy(String uri, Configuration conf) throws IOException {
        Path src = new Path(uri);
        FileSystem fs = src.getFileSystem(conf);
        if ("file".equals(fs.getScheme())) {
            return new LocalDir(java.nio.file.Paths.get(fs.makeQualified(src).toUri()), false);
        }
        LocalDir dir = new LocalDir(Files.createTempDirectory(TEMP_PREFIX), true);
        try {
            for (FileStatus st : fs.listStatus(src)) {
                if (st.isFile()) fs.copyToLocalFile(st.getPath(), new Path(dir.path().resolve(st.getPath().getName()).toUri()));
            }
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
        return dir;
    }

    /** Prefix of the temporary model copies under java.io.tmpdir. */
    static final String TEMP_PREFIX = "zerospark-model";

    /** A local model folder; a temporary copy is deleted on close. */
    record LocalDir(java.nio.file.Path path, boolean temporary) implements java.io.Closeable {
        @Override
        public void close() {
            // A copy that will not go away is worth a warning, not a failed rank: the model itself loaded.
            if (temporary && !FileUtil.fullyDelete(path.toFile())) {
                org.slf4j.LoggerFactory.getLogger(ModelSource.class).warn("cannot delete the temporary model copy {}; delete it by hand", path);
            }
        }
    }

    /** Size presets for training from scratch; the vocabulary comes from the data's tokenizer. */
    static ObjectNode preset(String arch, String preset, int vocab) {
        Map<String, int[]> sizes = Map.of("tiny", new int[] {2, 64, 4, 256}, "small", new int[] {6, 384, 6, 1024});
        int[] s = sizes.get(preset);
        if (s == null) throw new IllegalArgumentException("unknown --preset '" + preset + "' (tiny | small)");
        ObjectNode c = JSON.createObjectNode();
        c.put("vocab_size", vocab);
        c.put("bos_token_id", 0).put("eos_token_id", 0).put("tie_word_embeddings", true);
        switch (arch) {
            case "gpt2" -> {
                c.put("model_type", "gpt2").put("n_layer", s[0]).put("n_embd", s[1]).put("n_head", s[2])
                        .put("n_positions", s[3]).put("layer_norm_epsilon", 1e-5).put("activation_function", "gelu_new");
                c.putArray("architectures").add("GPT2LMHeadModel");
            }
            case "llama" -> {
                c.put("model_type", "llama").put("num_hidden_layers", s[0]).put("hidden_size", s[1])
                        .put("num_attention_heads", s[2]).put("num_key_value_heads", Math.max(1, s[2] / 2))
                        .put("intermediate_size", s[1] * 8 / 3 / 32 * 32 + 32).put("max_position_embeddings", s[3])
                        .put("rms_norm_eps", 1e-5).put("rope_theta", 10000.0).put("hidden_act", "silu");
                c.putArray("architectures").add("LlamaForCausalLM");
            }
            default -> throw new IllegalArgumentException("unknown --arch '" + arch + "' (gpt2 | llama)");
        }
        return c;
    }
}
