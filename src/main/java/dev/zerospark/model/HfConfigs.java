package dev.zerospark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Parses HF {@code config.json} files into {@link ModelConfig}s. Missing required keys name the key. */
public final class HfConfigs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfConfigs() {}

    /** Reads {@code dir/config.json} (or the file itself when given a file). */
    public static ModelConfig read(Path dirOrFile) throws IOException {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
        JsonNode node = JSON.readTree(file.toFile());
        if (node == null || !node.isObject()) {
            throw new ModelConfigException("", file + " is not a JSON object");
        }
        return parse((ObjectNode) node);
    }

    public static ModelConfig parse(ObjectNode json) {
        String type = requireText(json, "model_type");
        return switch (type) {
            case "gpt2" -> gpt2(json);
            case "llama" -> llama(json);
            default -> throw new ModelConfigException("model_type", "unsupported model_type \"" + type
                    + "\" (supported: gpt2, llama)");
        };
    }

    private static Gpt2Config gpt2(ObjectNode j) {
        int hidden = requireInt(j, "n_embd");
        int heads = requireInt(j, "n_head");
        if (hidden % heads != 0) {
            throw new ModelConfigException("n_head", "n_embd " + hidden + " is not divisible by n_head " + heads);
        }
        String act = optText(j, "activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
            throw new ModelConfigException("activation_function", "unsupported GPT-2 activation_function \"" + act + "\"");
        }
        JsonNode inner = j.get("n_inner");
        int innerSize = inner == null || inner.isNull() ? 4 * hidden : inner.asInt();
        return new Gpt2Config(requireInt(j, "vocab_size"), hidden, requireInt(j, "n_layer"), heads,
                requireInt(j, "n_positions"), innerSize, optDouble(j, "layer_norm_epsilon", 1e-5), act,
                optBool(j, "scale_attn_weights", true), optBool(j, "scale_attn_by_inverse_layer_idx", false),
                optBool(j, "tie_word_embeddings", true), eos(j), optInt(j, "pad_token_id", -1), j.deepCopy());
    }

    private static LlamaConfig llama(ObjectNode j) {
        int hidden = requireInt(j, "hidden_size");
        int heads = requireInt(j, "num_attention_heads");
        int kvHeads = optInt(j, "num_key_value_heads", heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelConfigException("num_key_value_heads", "num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        String act = optText(j, "hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelConfigException("hidden_act", "unsupported Llama hidden_act \"" + act + "\" (only silu)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (optBool(j, bias, false)) {
                throw new ModelConfigException(bias, "Llama " + bias + "=true is not supported");
            }
        }
        JsonNode ropeParams = j.get("rope_parameters");
        if (ropeParams == null || ropeParams.isNull()) {
            ropeParams = j.get("rope_scaling");
        }
        double theta;
        if (j.hasNonNull("rope_theta")) {
            theta = j.get("rope_theta").asDouble();
        } else if (ropeParams != null && ropeParams.hasNonNull("rope_theta")) {
            theta = ropeParams.get("rope_theta").asDouble();
        } else {
            theta = 10000.0;
        }
        if (ropeParams != null && ropeParams.isObject()) {
            JsonNode t = ropeParams.has("rope_type") ? ropeParams.get("rope_type") : ropeParams.get("type");
            if (t != null && !t.isNull() && !t.asText().equals("default")) {
                throw new ModelConfigException("rope_parameters.rope_type", "unsupported rope_type \"" + t.asText()
                        + "\" (only default RoPE)");
            }
        }
        int headDim = j.hasNonNull("head_dim") ? j.get("head_dim").asInt() : hidden / heads;
        return new LlamaConfig(requireInt(j, "vocab_size"), hidden, requireInt(j, "intermediate_size"),
                requireInt(j, "num_hidden_layers"), heads, kvHeads, headDim, optDouble(j, "rms_norm_eps", 1e-6),
                theta, optInt(j, "max_position_embeddings", 2048), optBool(j, "tie_word_embeddings", false),
                eos(j), optInt(j, "pad_token_id", -1), j.deepCopy());
    }

    static List<Integer> eos(JsonNode j) {
        JsonNode e = j.get("eos_token_id");
        List<Integer> out = new ArrayList<>();
        if (e == null || e.isNull()) {
            return out;
        }
        if (e.isArray()) {
            e.forEach(x -> out.add(x.asInt()));
        } else {
            out.add(e.asInt());
        }
        return out;
    }

    private static String requireText(JsonNode j, String key) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) {
            throw new ModelConfigException(key, "config.json is missing required key \"" + key + "\"");
        }
        return v.asText();
    }

    private static int requireInt(JsonNode j, String key) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) {
            throw new ModelConfigException(key, "config.json is missing required key \"" + key + "\"");
        }
        if (!v.canConvertToInt() || v.asInt() <= 0) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    private static int optInt(JsonNode j, String key, int dflt) {
        JsonNode v = j.get(key);
        if (v != null && v.isArray() && v.size() > 0) {
            return v.get(0).asInt();
        }
        return v == null || v.isNull() ? dflt : v.asInt();
    }

    private static double optDouble(JsonNode j, String key, double dflt) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? dflt : v.asDouble();
    }

    private static boolean optBool(JsonNode j, String key, boolean dflt) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? dflt : v.asBoolean();
    }

    private static String optText(JsonNode j, String key, String dflt) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? dflt : v.asText();
    }
}
