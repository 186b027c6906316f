package dev.zerospark.generate;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.model.Bf16;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text in, text out: tokenizes prompts, generates with {@link BatchGenerator} (the decoding path the {@code generate}
 * job uses too) and decodes the new tokens. EOS and pad ids come from generation_config.json, then config.json, then
 * the tokenizer (HF's order).
 */
public final class TextCompleter implements AutoCloseable {
    private final NDManager root;
    private final CausalLm model;
    private final HfTokenizer tokenizer;
    private final List<Integer> eosIds;
    private final int padId;

    private TextCompleter(NDManager root, CausalLm model, HfTokenizer tokenizer, List<Integer> eosIds, int padId) {
        this.root = root;
        this.model = model;
        this.tokenizer = tokenizer;
        this.eosIds = eosIds;
        this.padId = padId;
    }

    /**
     * One completion: decoded new text (cut before a stop string), the new tokens and why generation ended, the prompt
     * tokens fed to the model, and how many were cut from the prompt's left to fit the context (0 if none).
     */
    public record Completion(String text, int[] tokens, FinishReason finishReason, int promptTokens, int cutTokens) {}

    /** What to do with a prompt that does not fit the context together with max_new_tokens. */
    public enum Truncation {
        /** Keep the prompt's last tokens (the text nearest the completion), as HF's truncation_side="left". */
        LEFT,
        /** Refuse with {@link PromptTooLongException}. */
        ERROR
    }

    /** Loads model and tokenizer from an HF directory, on the engine's default device. */
    public static TextCompleter open(Path modelDir) throws IOException {
        return open(modelDir, null);
    }

    /** Loads model and tokenizer from an HF directory onto {@code device} (null: the engine's default device). */
    public static TextCompleter open(Path modelDir, Device device) throws IOException {
        return open(modelDir, device, FP32);
    }

    public static final String FP32 = "fp32";
    public static final String BF16 = "bf16";

    /**
     * @param dtype {@link #FP32}, or {@link #BF16}: the weights and activations in bf16 (see {@link Bf16}), attention
     *              softmax and the logits upcast to fp32 for sampling
     */
    public static TextCompleter open(Path modelDir, Device device, String dtype) throws IOException {
        if (!FP32.equals(dtype) && !BF16.equals(dtype)) {
            throw new IllegalArgumentException("dtype must be " + FP32 + " or " + BF16 + ", got " + dtype);
        }
        NDManager root = NDManager.newBaseManager(device, "PyTorch");
        try {
            CausalLm model = ModelLoader.load(modelDir, root);
            if (BF16.equals(dtype)) model.parameters().castToBf16();
            HfTokenizer tok = HfTokenizer.load(modelDir);
            JsonNode gen = readOptional(modelDir.resolve("generation_config.json"));
            List<Integer> eos = ids(gen.get("eos_token_id"));
            if (eos.isEmpty()) {
                eos = model.config().eosTokenIds();
            }
            if (eos.isEmpty()) {
                eos = List.of(tok.eosId());
            }
            int pad = gen.hasNonNull("pad_token_id") ? gen.get("pad_token_id").asInt()
                    : model.config().padTokenId() >= 0 ? model.config().padTokenId() : eos.get(0);
            return new TextCompleter(root, model, tok, List.copyOf(eos), pad);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    public CausalLm model() {
        return model;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public List<Integer> eosTokenIds() {
        return eosIds;
    }

    public int padTokenId() {
        return padId;
    }

    /** Options with this model's EOS and pad ids filled in. */
    public GenerationOptions options(int maxNewTokens, double temperature, int topK, double topP, long seed,
                                     List<String> stopStrings) {
        return new GenerationOptions(maxNewTokens, temperature, topK, topP, seed, eosIds, padId, stopStrings);
    }

    public List<Completion> complete(List<String> prompts, GenerationOptions options) {
        return complete(prompts, options, Truncation.LEFT);
    }

    /**
     * Completes the prompts in one left-padded batch (sorted by length). A prompt longer than the context minus
     * max_new_tokens is cut from the left or refused, as {@code truncation} says: positions past the context do not
     * exist in GPT-2 and give garbage in Llama.
     */
    public List<Completion> complete(List<String> prompts, GenerationOptions options, Truncation truncation) {
        return completeTokens(tokenizer.encodeBatch(prompts), options, truncation);
    }

    /**
     * As {@link #complete(List, GenerationOptions, Truncation)}, from prompts already tokenized (e.g. the prompt ids
     * of {@code sft_pairs}, exactly as training saw them). {@code encoded} rows are replaced when cut.
     */
    public List<Completion> completeTokens(int[][] encoded, GenerationOptions options, Truncation truncation) {
        int context = model.config().maxPositions();
        int room = context - options.maxNewTokens();
        if (room < 1) throw PromptTooLongException.noRoom(context, options.maxNewTokens());
        int[] cut = new int[encoded.length];
        for (int r = 0; r < encoded.length; r++) {
            if (encoded[r].length <= room) continue;
            if (truncation == Truncation.ERROR) throw PromptTooLongException.prompt(r, encoded[r].length, context, options.maxNewTokens());
            cut[r] = encoded[r].length - room;
            encoded[r] = Arrays.copyOfRange(encoded[r], cut[r], encoded[r].length);
        }
        // every row samples with the run's seed, so a prompt's completion does not depend on the other prompts
        List<BatchGenerator.Row> rows = new ArrayList<>();
        for (int[] e : encoded) {
            rows.add(new BatchGenerator.Row(e, options.seed()));
        }
        List<BatchGenerator.Output> r = new BatchGenerator(model).generate(rows, options, Long.MAX_VALUE,
                t -> tokenizer.decode(t, true));
        List<Completion> out = new ArrayList<>();
        for (int i = 0; i < encoded.length; i++) {
            BatchGenerator.Output o = r.get(i);
            String text = tokenizer.decode(o.tokens(), true);
            if (o.reason() == FinishReason.STOP_STRING) {
                text = cutAtStop(text, options.stopStrings());
            }
            out.add(new Completion(text, o.tokens(), o.reason(), encoded[i].length, cut[i]));
        }
        return out;
    }

    /** {@code text} cut before the first occurrence of any stop string. */
    public static String cutAtStop(String text, List<String> stops) {
        int cut = text.length();
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0) {
                cut = Math.min(cut, i);
            }
        }
        return text.substring(0, cut);
    }

    private static List<Integer> ids(JsonNode n) {
        List<Integer> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (n.isArray()) {
            n.forEach(x -> out.add(x.asInt()));
        } else {
            out.add(n.asInt());
        }
        return out;
    }

    /** Reads an optional JSON file; absent means an empty object. */
    private static JsonNode readOptional(Path p) throws IOException {
        ObjectMapper json = new ObjectMapper();
        return Files.exists(p) ? json.readTree(p.toFile()) : json.createObjectNode();
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
        root.close();
    }
}
