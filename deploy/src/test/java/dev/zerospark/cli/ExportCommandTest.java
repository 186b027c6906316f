package dev.zerospark.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark export}'s contracts that need no checkpoint: a used output folder is never mixed into. */
class ExportCommandTest {
    @TempDir Path tmp;

    @Test
    void aNonEmptyOutputIsRefusedAndLeftAsItWas() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(out.resolve("tokenizer.json"), "{\"old\": true}");
        CliRun r = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("is not empty") && r.err().contains("--overwrite"), r.err());
        assertEquals("{\"old\": true}", Files.readString(out.resolve("tokenizer.json")));
    }

    @Test
    void overwriteNeverClearsBeforeTheCheckpointResolves() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(out.resolve("config.json"), "{}");
        CliRun r = CliRun.of("export", "--checkpoint", tmp.resolve("no-such-ckpt").toString(), "--out", out.toString(), "--overwrite");
        assertNotEquals(0, r.code(), r.toString());
        assertTrue(Files.exists(out.resolve("config.json")), "a failed export keeps the old folder");
    }

    @Test
    void aBadDtypeOrShardSizeExitsTwoNamingTheFlag() {
        CliRun dtype = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", tmp.resolve("a").toString(), "--dtype", "int8");
        assertEquals(2, dtype.code(), dtype.toString());
        assertTrue(dtype.err().contains("--dtype") && dtype.err().contains("int8"), dtype.err());
        CliRun size = CliRun.of("export", tmp.resolve("ckpt").toString(), "--output", tmp.resolve("a").toString(), "--max-shard-size", "5XB");
        assertEquals(2, size.code(), size.toString());
        assertTrue(size.err().contains("--max-shard-size") && size.err().contains("5XB"), size.err());
    }

    @Test
    void theCheckpointIsGivenOnceEitherWay() {
        CliRun none = CliRun.of("export", "--output", tmp.resolve("a").toString());
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("checkpoint URI is required"), none.err());
        CliRun two = CliRun.of("export", "file:/a", "--checkpoint", "file:/b", "--output", tmp.resolve("a").toString());
        assertEquals(2, two.code(), two.toString());
        assertTrue(two.err().contains("two checkpoints given"), two.err());
    }
}
