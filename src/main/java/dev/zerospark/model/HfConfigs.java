package dev.zerospark.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.safetensors.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses HF {@code config.json} files into {@link ModelConfig}s. A config.json is untrusted input: every key is
 * type- and range-checked here, before any tensor is sized from it, and a bad one is a {@link ModelConfigException}
 * naming the key.
 */
public final class HfConfigs {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bounds far above any released model (Llama 3.1 405B: 126 layers, width 16384, MLP 53248, vocab 128256). */
    static final int MAX_LAYERS = 1024;
    static final int MAX_WIDTH = 1 << 17;
    static final int MAX_VOCAB = 1 << 24;
    static final int MAX_POSITIONS = 1 << 24;

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
        int vocab = requireInt(j, "vocab_size", MAX_VOCAB);
        int hidden = requireInt(j, "n_embd", MAX_WIDTH);
        int layers = requireInt(j, "n_layer", MAX_LAYERS);
        int heads = requireInt(j, "n_head", MAX_WIDTH);
        int positions = requireInt(j, "n_positions", MAX_POSITIONS);
        if (hidden % heads != 0) {
            throw new ModelConfigException("n_head", "n_embd " + hidden + " is not divisible by n_head " + heads);
        }
        String act = optText(j, "activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
            throw new ModelConfigException("activation_function", "unsupported GPT-2 activation_function \"" + act + "\"");
        }
        int innerSize = j.hasNonNull("n_inner") ? requireInt(j, "n_inner", MAX_WIDTH) : 4 * hidden;
        fitsOneTensor("vocab_size", vocab, hidden);
        fitsOneTensor("n_positions", positions, hidden);
        fitsOneTensor("n_embd", hidden, 3L * hidden);
        fitsOneTensor(j.hasNonNull("n_inner") ? "n_inner" : "n_embd", hidden, innerSize);
        return new Gpt2Config(vocab, hidden, layers, heads, positions, innerSize,
                positiveDouble(j, "layer_norm_epsilon", 1e-5), act,
                optBool(j, "scale_attn_weights", true), optBool(j, "scale_attn_by_inverse_layer_idx", false),
                optBool(j, "tie_word_embeddings", true), eos(j, vocab), pad(j, vocab), j.deepCopy());
    }

    private static LlamaConfig llama(ObjectNode j) {
        int vocab = requireInt(j, "vocab_size", MAX_VOCAB);
        int hidden = requireInt(j, "hidden_size", MAX_WIDTH);
        int intermediate = requireInt(j, "intermediate_size", MAX_WIDTH);
        int layers = requireInt(j, "num_hidden_layers", MAX_LAYERS);
        int heads = requireInt(j, "num_attention_heads", MAX_WIDTH);
        int kvHeads = j.hasNonNull("num_key_value_heads") ? requireInt(j, "num_key_value_heads", MAX_WIDTH) : heads;
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
            theta = positiveDouble(j, "rope_theta", 10000.0);
        } else if (ropeParams != null && ropeParams.hasNonNull("rope_theta")) {
            theta = positiveDouble("rope_parameters.rope_theta", ropeParams.get("rope_theta"));
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
        int headDim;
        if (j.hasNonNull("head_dim")) {
            headDim = requireInt(j, "head_dim", MAX_WIDTH);
        } else if (hidden % heads == 0) {
            headDim = hidden / heads;
        } else {
            throw new ModelConfigException("num_attention_heads", "hidden_size " + hidden
                    + " is not divisible by num_attention_heads " + heads + " and config.json sets no head_dim");
        }
        if (headDim % 2 != 0) {
            throw new ModelConfigException(j.hasNonNull("head_dim") ? "head_dim" : "num_attention_heads", "head_dim "
                    + headDim + " is odd; rotary embeddings rotate pairs of dimensions");
        }
        if ((long) heads * headDim > MAX_WIDTH) {
            throw new ModelConfigException("head_dim", "num_attention_heads " + heads + " x head_dim " + headDim
                    + " exceeds " + MAX_WIDTH);
        }
        int positions = j.hasNonNull("max_position_embeddings")
                ? requireInt(j, "max_position_embeddings", MAX_POSITIONS) : 2048;
        fitsOneTensor("vocab_size", vocab, hidden);
        fitsOneTensor("intermediate_size", intermediate, hidden);
        fitsOneTensor("num_attention_heads", (long) heads * headDim, hidden);
        return new LlamaConfig(vocab, hidden, intermediate, layers, heads, kvHeads, headDim,
                positiveDouble(j, "rms_norm_eps", 1e-6), theta, positions, optBool(j, "tie_word_embeddings", false),
                eos(j, vocab), pad(j, vocab), j.deepCopy());
    }

    /** End-of-sequence ids: an int or a list of ints, each a token of the vocabulary. */
    static List<Integer> eos(JsonNode j, int vocab) {
        JsonNode e = j.get("eos_token_id");
        List<Integer> out = new ArrayList<>();
        if (e == null || e.isNull()) {
            return out;
        }
        for (JsonNode x : e.isArray() ? e : List.of(e)) {
            out.add(tokenId(x, "eos_token_id", vocab, e));
        }
        return out;
    }

    /** HF writes pad_token_id as an int, null, or (rarely) a list whose first entry is used; -1 means none. */
    private static int pad(JsonNode j, int vocab) {
        JsonNode v = j.get("pad_token_id");
        if (v != null && v.isArray() && v.size() > 0) {
            v = v.get(0);
        }
        if (v == null || v.isNull() || (v.isArray() && v.size() == 0) || (v.isIntegralNumber() && v.asLong() == -1)) {
            return -1;
        }
        return tokenId(v, "pad_token_id", vocab, j.get("pad_token_id"));
    }

    /** A token id the embedding can look up: an integer in [0, vocab_size). */
    private static int tokenId(JsonNode x, String key, int vocab, JsonNode whole) {
        if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 0 || x.asInt() >= vocab) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" must hold token ids in [0, vocab_size "
                    + vocab + "), got " + whole);
        }
        return x.asInt();
    }

    /** Refuses a shape that no single tensor can hold, before anything is allocated for it. */
    private static void fitsOneTensor(String key, long rows, long cols) {
        if (rows * cols > TensorSource.MAX_READ_ELEMENTS) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" makes a " + rows + " x " + cols
                    + " weight of " + rows * cols + " elements, more than the " + TensorSource.MAX_READ_ELEMENTS
                    + " one tensor can hold");
        }
    }

    private static String requireText(JsonNode j, String key) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) {
            throw new ModelConfigException(key, "config.json is missing required key \"" + key + "\"");
        }
        return v.asText();
    }

    /** A JSON integer in [1, max]; {@code canConvertToInt} alone would take 2.5 or a huge value's wrap-around. */
    private static int requireInt(JsonNode j, String key, int max) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) {
            throw new ModelConfigException(key, "config.json is missing required key \"" + key + "\"");
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0 || v.asInt() > max) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" must be an integer in [1, " + max
                    + "], got " + v);
        }
        return v.asInt();
    }

    private static double positiveDouble(JsonNode j, String key, double dflt) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? dflt : positiveDouble(key, v);
    }

    private static double positiveDouble(String key, JsonNode v) {
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" must be a finite number > 0, got " + v);
        }
        return v.asDouble();
    }

    private static boolean optBool(JsonNode j, String key, boolean dflt) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new ModelConfigException(key, "config.json key \"" + key + "\" must be true or false, got " + v);
        }
        return v.asBoolean();
    }

    private static String optText(JsonNode j, String key, String dflt) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? dflt : v.asText();
    }
}
