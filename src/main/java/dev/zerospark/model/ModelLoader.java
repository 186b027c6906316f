package dev.zerospark.model;

import ai.djl.ndarray.NDManager;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import dev.zerospark.safetensors.TensorInfo;
import dev.zerospark.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds a {@link CausalLm} from an HF model directory (config.json + safetensors, single file or sharded). */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {}

    /** Loads {@code dir}; the model's weights live in a new sub-manager of {@code parent}. */
    public static CausalLm load(Path dir, NDManager parent) throws IOException {
        ModelConfig config = HfConfigs.read(dir);
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
            return load(config, ck, dir.toString(), parent);
        }
    }

    /** Parameter specs of an architecture, in canonical order. */
    public static List<TensorSpec> specs(ModelConfig config) {
        if (config instanceof Gpt2Config g) {
            return Gpt2Model.specs(g);
        }
        return LlamaModel.specs((LlamaConfig) config);
    }

    /** Wraps already-filled parameters in the architecture's model class. */
    public static CausalLm create(ModelConfig config, Parameters params) {
        if (config instanceof Gpt2Config g) {
            return new Gpt2Model(g, params);
        }
        return new LlamaModel((LlamaConfig) config, params);
    }

    /**
     * Validates every checkpoint tensor against the architecture (missing, unexpected, mis-shaped: the first
     * problem is thrown, naming the tensor and both shapes) and uploads them upcast to fp32.
     */
    public static CausalLm load(ModelConfig config, TensorSource ck, String where, NDManager parent)
            throws IOException {
        List<TensorSpec> specs = specs(config);
        Map<String, String> byCanonical = new HashMap<>();
        Set<String> expected = new HashSet<>();
        specs.forEach(s -> expected.add(s.name()));
        for (String name : ck.names()) {
            String canonical = canonicalName(config, name);
            if (canonical == null) {
                LOG.debug("ignoring non-parameter tensor {} in {}", name, where);
                continue;
            }
            if (!expected.contains(canonical)) {
                throw new UnexpectedTensorException(name, ck.info(name).shape(), config.modelType(), where);
            }
            byCanonical.put(canonical, name);
        }
        for (TensorSpec s : specs) {
            String name = byCanonical.get(s.name());
            if (name == null) {
                throw new MissingTensorException(s.name(), s.shape(), where);
            }
            TensorInfo info = ck.info(name);
            if (!Arrays.equals(info.shape(), s.shape())) {
                throw new TensorShapeMismatchException(name, info.shape(), s.shape(), where);
            }
            if (!info.dtype().isFloatingPoint()) {
                throw new CheckpointMismatchException("tensor " + name + " in " + where + " has dtype "
                        + info.dtype() + " but model weights must be F32, F16 or BF16");
            }
        }
        Parameters params = new Parameters(parent.newSubManager(), specs);
        try {
            for (TensorSpec s : specs) {
                params.set(s.name(), ck, byCanonical.get(s.name()));
            }
        } catch (IOException | RuntimeException e) {
            params.close();
            throw e;
        }
        LOG.info("loaded {} model from {}: {} parameters in {} tensors", config.modelType(), where,
                params.numel(), specs.size());
        return create(config, params);
    }

    /**
     * Maps a checkpoint name onto the canonical state-dict name, or null for tensors that carry no weights:
     * GPT-2 attention-mask buffers and a duplicated tied LM head, Llama's rotary inv_freq buffer. The original
     * OpenAI GPT-2 checkpoints omit the {@code transformer.} prefix.
     */
    static String canonicalName(ModelConfig config, String name) {
        if (config.tieWordEmbeddings() && name.equals("lm_head.weight")) {
            return null;
        }
        if (config instanceof Gpt2Config) {
            if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) {
                return null;
            }
            if (!name.startsWith("transformer.") && !name.startsWith("lm_head.")) {
                return "transformer." + name;
            }
            return name;
        }
        return name.endsWith("rotary_emb.inv_freq") ? null : name;
    }
}
