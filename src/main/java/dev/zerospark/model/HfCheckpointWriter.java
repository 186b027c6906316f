package dev.zerospark.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.safetensors.DType;
import dev.zerospark.safetensors.SafetensorsCheckpoint;
import dev.zerospark.safetensors.WritableTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an HF-compatible model directory that {@code transformers.AutoModelForCausalLM.from_pretrained} loads:
 * config.json, model.safetensors (sharded with model.safetensors.index.json above the size limit),
 * generation_config.json and the tokenizer files.
 */
public final class HfCheckpointWriter {
    /** Tokenizer files transformers may look for; whichever exist in the source directory are copied. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json");
    /** transformers' default max_shard_size is 5GB (decimal). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param dtype F32, BF16 or F16 on disk
     * @param tokenizerFrom directory to copy tokenizer and generation_config files from, or null
     */
    public record Options(long maxShardBytes, DType dtype, Path tokenizerFrom) {
        public static Options defaults(Path tokenizerFrom) {
            return new Options(DEFAULT_MAX_SHARD_BYTES, DType.F32, tokenizerFrom);
        }
    }

    private HfCheckpointWriter() {}

    /** Saves a loaded model's current weights. */
    public static void save(CausalLm model, Path out, Options options) throws IOException {
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (TensorSpec s : model.parameters().specs()) {
            weights.put(s.name(), model.parameters().read(s.name()));
        }
        save(model.config(), weights, out, options);
    }

    /** Saves weights given by canonical name (e.g. gathered from a flat ZeRO buffer); every spec must be present. */
    public static void save(ModelConfig config, Map<String, float[]> weights, Path out, Options options)
            throws IOException {
        List<WritableTensor> tensors = new ArrayList<>();
        for (TensorSpec s : ModelLoader.specs(config)) {
            float[] w = weights.get(s.name());
            if (w == null) {
                throw new MissingTensorException(s.name(), s.shape(), "the weights to save");
            }
            tensors.add(switch (options.dtype()) {
                case F32 -> WritableTensor.f32(s.name(), s.shape(), w);
                case BF16 -> WritableTensor.bf16(s.name(), s.shape(), w);
                case F16 -> WritableTensor.f16(s.name(), s.shape(), w);
                default -> throw new IllegalArgumentException("cannot save weights as " + options.dtype());
            });
        }
        Files.createDirectories(out);
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), configJson(config, options.dtype()));
        SafetensorsCheckpoint.write(out, tensors, options.maxShardBytes());
        copyOrGenerateGenerationConfig(config, options.tokenizerFrom(), out);
        if (options.tokenizerFrom() != null && !options.tokenizerFrom().equals(out)) {
            for (String f : TOKENIZER_FILES) {
                Path src = options.tokenizerFrom().resolve(f);
                if (Files.exists(src)) {
                    Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** The config.json of the saved model: the model's, with the dtype the weights are saved in. */
    public static ObjectNode configJson(ModelConfig config, DType dtype) {
        ObjectNode cfg = config.raw().deepCopy();
        String torchDtype = switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        // transformers 4 reads torch_dtype, transformers 5 writes dtype; keep whichever the source used.
        cfg.put(cfg.has("torch_dtype") ? "torch_dtype" : "dtype", torchDtype);
        return cfg;
    }

    private static void copyOrGenerateGenerationConfig(ModelConfig config, Path from, Path out) throws IOException {
        Path target = out.resolve("generation_config.json");
        if (from != null && Files.exists(from.resolve("generation_config.json"))) {
            if (!from.equals(out)) {
                Files.copy(from.resolve("generation_config.json"), target, StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(target.toFile(), generationConfig(config));
    }

    /** The generation_config.json made when the source has none: the config's special token ids. */
    public static ObjectNode generationConfig(ModelConfig config) {
        ObjectNode g = JSON.createObjectNode();
        if (config.raw().has("bos_token_id")) {
            g.set("bos_token_id", config.raw().get("bos_token_id"));
        }
        if (config.raw().has("eos_token_id")) {
            g.set("eos_token_id", config.raw().get("eos_token_id"));
        }
        if (config.padTokenId() >= 0) {
            g.put("pad_token_id", config.padTokenId());
        }
        return g;
    }
}
