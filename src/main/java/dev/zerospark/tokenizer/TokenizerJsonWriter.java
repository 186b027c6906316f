package dev.zerospark.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link BpeModel} as HuggingFace {@code tokenizer.json} + {@code tokenizer_config.json}, in the layout
 * {@code tokenizers} itself saves for a GPT-2 style byte-level BPE: ByteLevel pre-tokenizer, post-processor and
 * decoder, no normalizer, merges as [left, right] pairs. The first special token is bos/eos/unk, the second pad.
 */
public final class TokenizerJsonWriter {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerJsonWriter() {}

    public static void write(BpeModel model, Path dir) {
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizerJson(model));
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig(model));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer to " + dir, e);
        }
    }

    static ObjectNode tokenizerJson(BpeModel model) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : model.specialTokens()) {
            ObjectNode t = added.addObject();
            t.put("id", model.vocab().get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(false, true));
        root.set("post_processor", byteLevel(true, false));
        root.set("decoder", byteLevel(true, true));
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.putNull("unk_token");
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        model.vocab().forEach(vocab::put);
        ArrayNode merges = bpe.putArray("merges");
        for (String[] m : model.merges()) merges.addArray().add(m[0]).add(m[1]);
        return root;
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", addPrefixSpace);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
        return n;
    }

    static ObjectNode tokenizerConfig(BpeModel model) {
        ObjectNode cfg = JSON.createObjectNode();
        String eos = model.specialTokens().get(0);
        cfg.put("bos_token", eos);
        cfg.put("eos_token", eos);
        cfg.put("unk_token", eos);
        if (model.specialTokens().size() > 1) cfg.put("pad_token", model.specialTokens().get(1));
        cfg.put("model_max_length", 1_000_000_000L);
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        return cfg;
    }
}
