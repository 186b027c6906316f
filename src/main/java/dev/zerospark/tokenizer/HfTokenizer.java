package dev.zerospark.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A HuggingFace {@code tokenizer.json} through DJL, with the special-token ids taken from the tokenizer's own
 * {@code tokenizer_config.json}. DJL pads with id 0 unless tokenizer.json carries a padding section, which
 * {@code save_pretrained} usually leaves out; so padding is done here, with the configured pad token.
 * Special tokens are not added on encode (byte-level BPE adds none; HF's {@code add_special_tokens} is a no-op).
 * Thread-safe: the native tokenizer is immutable once built.
 */
public final class HfTokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final HuggingFaceTokenizer djl;
    private final int padId;
    private final int eosId;
    private final int vocabSize;

    private HfTokenizer(Path dir, HuggingFaceTokenizer djl, int padId, int eosId, int vocabSize) {
        this.dir = dir;
        this.djl = djl;
        this.padId = padId;
        this.eosId = eosId;
        this.vocabSize = vocabSize;
    }

    /** Loads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}. */
    public static HfTokenizer load(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new TokenizerLoadException("no tokenizer.json in tokenizer directory " + dir);
        }
        try {
            JsonNode tok = JSON.readTree(json.toFile());
            Map<String, Integer> specials = new java.util.HashMap<>();
            for (JsonNode t : tok.path("added_tokens")) specials.put(t.path("content").asText(), t.path("id").asInt());
            JsonNode vocab = tok.path("model").path("vocab");
            int vocabSize = vocab.size();
            for (int id : specials.values()) vocabSize = Math.max(vocabSize, id + 1);

            Path cfgPath = dir.resolve("tokenizer_config.json");
            JsonNode cfg = Files.isRegularFile(cfgPath) ? JSON.readTree(cfgPath.toFile()) : JSON.createObjectNode();
            int eos = tokenId(cfg, "eos_token", specials, vocab, dir);
            int pad = tokenId(cfg, "pad_token", specials, vocab, dir);
            if (eos < 0) eos = specials.getOrDefault("<|endoftext|>", -1);
            if (eos < 0) throw new TokenizerLoadException("tokenizer " + dir + " names no eos_token and has no <|endoftext|>");
            if (pad < 0) pad = eos; // GPT-2 convention: no pad token, pad with EOS (masked out anyway)

            HuggingFaceTokenizer djl = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(dir)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new HfTokenizer(dir, djl, pad, eos, vocabSize);
        } catch (IOException e) {
            throw new TokenizerLoadException("cannot read tokenizer in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The id of {@code tokenizer_config.json[key]} (a string or an AddedToken object), or -1 when unset. */
    private static int tokenId(JsonNode cfg, String key, Map<String, Integer> specials, JsonNode vocab, Path dir) {
        JsonNode v = cfg.get(key);
        if (v == null || v.isNull()) return -1;
        String content = v.isObject() ? v.path("content").asText() : v.asText();
        Integer id = specials.get(content);
        if (id == null && vocab.has(content)) id = vocab.get(content).asInt();
        if (id == null) throw new TokenizerLoadException(key + " '" + content + "' of tokenizer " + dir + " is not in its vocabulary");
        return id;
    }

    public Path dir() {
        return dir;
    }

    public int padId() {
        return padId;
    }

    public int eosId() {
        return eosId;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The ids of one text. This asks the native tokenizer for ids only: DJL's {@code encode} also builds an
     * {@code Encoding} with the token strings, character spans and masks, which measured 45% of the time per
     * text. DJL applies prefix-space, lower-casing and accent-stripping options on the Java side first; it reads
     * them from tokenizer_config.json only when given {@code optTokenizerConfigPath}, which {@link #load} does not
     * use, so the native call sees the same text and returns the same ids (the reference-id test pins this).
     */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        long enc = TokenizersLibrary.LIB.encode(handle(), text, false);
        try {
            return toInts(TokenizersLibrary.LIB.getTokenIds(enc));
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(enc);
        }
    }

    /** Encodes many texts in one native call (the tokenizers library parallelises inside it); ids only. */
    public int[][] encodeBatch(List<String> texts) {
        if (texts.isEmpty()) return new int[0][];
        for (String t : texts) Objects.requireNonNull(t, "a text of the batch is null");
        long[] enc = TokenizersLibrary.LIB.batchEncode(handle(), texts.toArray(new String[0]), false);
        int[][] out = new int[enc.length][];
        try {
            for (int i = 0; i < enc.length; i++) out[i] = toInts(TokenizersLibrary.LIB.getTokenIds(enc[i]));
        } finally {
            for (long e : enc) TokenizersLibrary.LIB.deleteEncoding(e);
        }
        return out;
    }

    /**
     * DJL's public batch API, {@code HuggingFaceTokenizer.batchEncode}: the same native call, plus a full
     * {@code Encoding} per text built on the calling thread. Same ids as {@link #encodeBatch}; kept as the
     * benchmark's reference for what a plain DJL user gets.
     */
    public int[][] encodeBatchWithEncodings(List<String> texts) {
        if (texts.isEmpty()) return new int[0][];
        Encoding[] enc = djl.batchEncode(texts, false, false);
        int[][] out = new int[enc.length][];
        for (int i = 0; i < enc.length; i++) out[i] = toInts(enc[i].getIds());
        return out;
    }

    /**
     * Encodes many texts one after another on the calling thread. Inside a Spark task this beats
     * {@link #encodeBatch}: Spark already runs one task per core, and the tokenizers library's batch call hands
     * its work to one process-wide thread pool, so concurrent tasks queue behind each other there (measured on 2
     * cores: two tasks calling the batch API finish no sooner than one; calling this, 1.6x sooner).
     */
    public int[][] encodeEach(List<String> texts) {
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = encode(texts.get(i));
        return out;
    }

    private long handle() {
        return djl.getHandle();
    }

    /** Right-pads to the longest row with {@link #padId()}; attention mask 1 on real tokens. */
    public PaddedBatch encodePadded(List<String> texts) {
        int[][] ids = encodeBatch(texts);
        int t = 0;
        for (int[] row : ids) t = Math.max(t, row.length);
        int[][] padded = new int[ids.length][t];
        int[][] mask = new int[ids.length][t];
        for (int b = 0; b < ids.length; b++) {
            Arrays.fill(padded[b], padId);
            System.arraycopy(ids[b], 0, padded[b], 0, ids[b].length);
            Arrays.fill(mask[b], 0, ids[b].length, 1);
        }
        return new PaddedBatch(padded, mask);
    }

    /** Decodes ids; special tokens are skipped when {@code skipSpecial}. */
    public String decode(int[] ids, boolean skipSpecial) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return djl.decode(l, skipSpecial);
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public void close() {
        djl.close();
    }
}
