package dev.zerospark.checkpoint;

import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static dev.zerospark.tokenizer.TokenizerProvenance.FILES;
import static dev.zerospark.tokenizer.TokenizerProvenance.TOKENIZER_JSON;

/**
 * The tokenizer files a checkpoint root keeps beside its steps. {@code train} copies them there from where the data
 * table says its tokenizer was, and each manifest records that tokenizer; {@code export} writes them next to the
 * model, so the exported directory decodes with the tokenizer its ids came from.
 */
public final class CheckpointTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointTokenizer.class);
    private CheckpointTokenizer() {}

    /**
     * Copies {@link TokenizerProvenance#FILES} from {@code tok.uri()} into the checkpoint root, once tokenizer.json's
     * sha256 matches the record. A tokenizer that is gone or changed since prepare is a warning, not a failure:
     * the run trains the same either way, only its export will then need {@code --tokenizer}.
     *
     * @return whether the root now holds the recorded tokenizer
     */
    public static boolean copyToRoot(TokenizerProvenance tok, CheckpointStore store, Configuration conf) {
        if (store.readRootFile(TOKENIZER_JSON).map(b -> tok.sha256().equals(sha256(b))).orElse(false)) {
            LOG.info("checkpoint root {} already holds tokenizer {}", store.root(), tok);
            return true;
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        try {
            for (String name : FILES) read(new Path(tok.uri(), name), conf).ifPresent(b -> files.put(name, b));
        } catch (IOException e) {
            LOG.warn("cannot read tokenizer {} that the training table records ({}): the checkpoint root {} gets no "
                    + "tokenizer, so export will need --tokenizer", tok, e.getMessage(), store.root());
            return false;
        }
        byte[] json = files.get(TOKENIZER_JSON);
        if (json == null) {
            LOG.warn("tokenizer {} that the training table records is not found (no {}/{}): the checkpoint root {} gets "
                    + "no tokenizer, so export will need --tokenizer", tok, tok.uri(), TOKENIZER_JSON, store.root());
            return false;
        }
        String found = sha256(json);
        if (!found.equals(tok.sha256())) {
            LOG.warn("{}/{} has sha256 {} but the training table was tokenized with {}: it changed since prepare, so it "
                    + "is not copied into checkpoint root {}; export will need --tokenizer", tok.uri(), TOKENIZER_JSON,
                    found, tok, store.root());
            return false;
        }
        // tokenizer.json last: its presence (with the recorded sha256) marks the copy complete, as above.
        files.forEach((name, bytes) -> {
            if (!name.equals(TOKENIZER_JSON)) store.writeRootFile(name, bytes);
        });
        store.writeRootFile(TOKENIZER_JSON, json);
        LOG.info("copied tokenizer {} into checkpoint root {}", tok, store.root());
        return true;
    }

    /** The tokenizer a manifest records, if its run's table recorded one. */
    public static Optional<TokenizerProvenance> of(Manifest manifest) {
        if (manifest.data() == null || manifest.data().tokenizer() == null) return Optional.empty();
        return Optional.of(manifest.data().tokenizer().provenance());
    }

    /**
     * Writes the checkpoint root's tokenizer files into {@code out} when the manifest records a tokenizer and the
     * root's tokenizer.json is that one; a root whose tokenizer.json is another one is refused (it would decode
     * the model's ids into the wrong text).
     *
     * @return whether tokenizer.json was written
     */
    public static boolean exportTo(CheckpointStore store, Manifest manifest, java.nio.file.Path out) throws IOException {
        return exportTo(store, manifest, (name, bytes) -> Files.write(out.resolve(name), bytes));
    }

    /** As {@link #exportTo(CheckpointStore, Manifest, java.nio.file.Path)}, into a directory on any Hadoop filesystem. */
    public static boolean exportTo(CheckpointStore store, Manifest manifest, String dirUri, Configuration conf) throws IOException {
        return exportTo(store, manifest, (name, bytes) -> {
            Path p = new Path(dirUri, name);
            try (var out = p.getFileSystem(conf).create(p, true)) {
                out.write(bytes);
            }
        });
    }

    /** Where exported files go. */
    @FunctionalInterface
    interface FileSink {
        void write(String name, byte[] bytes) throws IOException;
    }

    private static boolean exportTo(CheckpointStore store, Manifest manifest, FileSink sink) throws IOException {
        Optional<TokenizerProvenance> tok = of(manifest);
        if (tok.isEmpty()) return false;
        Optional<byte[]> json = store.readRootFile(TOKENIZER_JSON);
        if (json.isEmpty()) return false;
        String found = sha256(json.get());
        if (!found.equals(tok.get().sha256())) {
            throw new CheckpointException(store.root() + "/" + TOKENIZER_JSON + " has sha256 " + found + " but step "
                    + manifest.step() + " was trained on ids of tokenizer " + tok.get() + "; pass --tokenizer DIR");
        }
        for (String name : FILES) {
            if (name.equals(TOKENIZER_JSON)) continue;
            Optional<byte[]> bytes = store.readRootFile(name);
            if (bytes.isPresent()) sink.write(name, bytes.get());
        }
        sink.write(TOKENIZER_JSON, json.get());
        return true;
    }

    private static Optional<byte[]> read(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.isFile(p)) return Optional.empty();
        try (InputStream in = fs.open(p)) {
            return Optional.of(in.readAllBytes());
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return TokenizerProvenance.sha256(new ByteArrayInputStream(bytes));
        } catch (IOException e) { // a byte array does not fail to read
            throw new UncheckedIOException(e);
        }
    }
}
