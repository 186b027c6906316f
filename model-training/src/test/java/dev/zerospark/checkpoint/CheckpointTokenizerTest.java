package dev.zerospark.checkpoint;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.zerospark.training.data.DataCursor;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tokenizer files train keeps in a checkpoint root and export writes with the model. */
class CheckpointTokenizerTest {
    @TempDir Path tmp;

    private static final Path FIXTURE = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");

    private CheckpointStore store() {
        return new CheckpointStore(tmp.resolve("ckpt").toUri().toString(), new Configuration());
    }

    private static Manifest manifest(TokenizerProvenance tok) {
        DataCursor data = new DataCursor("t", 0, 0, 0, 0, null, DataCursor.Tokenizer.of(tok));
        return new Manifest(2, "run", 1, 0, Map.of(), null, JsonNodeFactory.instance.objectNode(), data, null);
    }

    @Test
    void copiesTheRecordedTokenizerAndExportsIt() throws Exception {
        TokenizerProvenance tok = TokenizerProvenance.of(FIXTURE, FIXTURE.toUri().toString());
        CheckpointStore store = store();
        assertTrue(CheckpointTokenizer.copyToRoot(tok, store, new Configuration()));
        for (String f : TokenizerProvenance.FILES) {
            assertArrayEquals(Files.readAllBytes(FIXTURE.resolve(f)), Files.readAllBytes(tmp.resolve("ckpt").resolve(f)), f);
        }
        assertEquals(tok, CheckpointTokenizer.of(manifest(tok)).orElseThrow());

        Path out = Files.createDirectories(tmp.resolve("hf"));
        assertTrue(CheckpointTokenizer.exportTo(store, manifest(tok), out));
        assertArrayEquals(Files.readAllBytes(FIXTURE.resolve("tokenizer.json")), Files.readAllBytes(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer_config.json")));

        Path none = Files.createDirectories(tmp.resolve("hf-none"));
        assertFalse(CheckpointTokenizer.exportTo(store, manifest(null), none), "a step that records no tokenizer exports none");
        assertFalse(Files.exists(none.resolve("tokenizer.json")));
    }

    @Test
    void aMissingOrChangedTokenizerIsNotCopiedAndTheRunGoesOn() throws Exception {
        TokenizerProvenance recorded = TokenizerProvenance.of(FIXTURE, tmp.resolve("gone").toUri().toString());
        assertFalse(CheckpointTokenizer.copyToRoot(recorded, store(), new Configuration()));
        assertFalse(Files.exists(tmp.resolve("ckpt/tokenizer.json")));

        Path changed = Files.createDirectories(tmp.resolve("changed"));
        Files.writeString(changed.resolve("tokenizer.json"), Files.readString(FIXTURE.resolve("tokenizer.json")) + " ");
        TokenizerProvenance atChanged = new TokenizerProvenance(recorded.sha256(), changed.toUri().toString());
        assertFalse(CheckpointTokenizer.copyToRoot(atChanged, store(), new Configuration()));
        assertFalse(Files.exists(tmp.resolve("ckpt/tokenizer.json")));
    }

    @Test
    void aRootTokenizerThatIsNotTheStepsOneIsRefusedOnExport() throws Exception {
        TokenizerProvenance tok = TokenizerProvenance.of(FIXTURE, FIXTURE.toUri().toString());
        CheckpointStore store = store();
        store.writeRootFile("tokenizer.json", "{\"another\": true}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path out = Files.createDirectories(tmp.resolve("hf"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointTokenizer.exportTo(store, manifest(tok), out));
        assertTrue(e.getMessage().contains(tok.sha256().substring(0, 12)) && e.getMessage().contains("--tokenizer"), e.getMessage());
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
    }
}
