package dev.zerospark.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which tokenizer made a set of token ids: the sha256 of its exact {@code tokenizer.json} bytes and where it was
 * loaded from. Token ids mean nothing without it, so it travels with them: {@code prepare} records it as Delta table
 * properties, {@code train} in each checkpoint manifest (and copies {@link #FILES} into the checkpoint root), and
 * {@code export} writes those files next to the model.
 *
 * @param sha256 lowercase hex sha256 of {@code tokenizer.json}
 * @param uri the tokenizer directory, absolute ({@code file:/...}, {@code s3a://...})
 */
public record TokenizerProvenance(String sha256, String uri) implements Serializable {
    /** Table property: the sha256 of the tokenizer.json the table's token ids were made with. */
    public static final String SHA256_PROPERTY = "zerospark.tokenizer.sha256";
    /** Table property: the directory that tokenizer.json was loaded from. */
    public static final String URI_PROPERTY = "zerospark.tokenizer.uri";
    /** The file the sha256 is taken over. */
    public static final String TOKENIZER_JSON = "tokenizer.json";
    /** The files a checkpoint root and an exported model carry: what {@link HfTokenizer#load} reads. */
    public static final List<String> FILES = List.of(TOKENIZER_JSON, "tokenizer_config.json");

    public TokenizerProvenance {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("tokenizer sha256 must be 64 lowercase hex digits, got " + sha256);
        }
        if (uri == null || uri.isBlank()) throw new IllegalArgumentException("tokenizer uri is not set");
    }

    /** Hashes {@code dir/tokenizer.json}; {@code uri} is where that directory came from. */
    public static TokenizerProvenance of(Path dir, String uri) {
        Path json = dir.resolve(TOKENIZER_JSON);
        try (InputStream in = Files.newInputStream(json)) {
            return new TokenizerProvenance(sha256(in), uri);
        } catch (IOException e) {
            throw new TokenizerLoadException("cannot read " + json + " to hash it: " + e.getMessage(), e);
        }
    }

    /**
     * The provenance recorded in {@code table}'s properties; empty when the table has none (older prepare, or made
     * by hand). Properties that are there but unusable (edited by hand) fail naming the table.
     */
    public static Optional<TokenizerProvenance> fromProperties(Map<String, String> properties, String table) {
        String sha = properties.get(SHA256_PROPERTY);
        String uri = properties.get(URI_PROPERTY);
        if (sha == null && uri == null) return Optional.empty();
        try {
            return Optional.of(new TokenizerProvenance(sha, uri));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("table " + table + " has unusable tokenizer properties (" + SHA256_PROPERTY
                    + "=" + sha + ", " + URI_PROPERTY + "=" + uri + "): " + e.getMessage(), e);
        }
    }

    public Map<String, String> toProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(SHA256_PROPERTY, sha256);
        p.put(URI_PROPERTY, uri);
        return p;
    }

    /** How messages name it: a sha256 prefix and the URI. */
    @Override
    public String toString() {
        return "sha256 " + sha256.substring(0, 12) + " from " + uri;
    }

    /** Lowercase hex sha256 of everything {@code in} holds. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        return HexFormat.of().formatHex(md.digest());
    }
}
