package dev.zerospark.tokenizer;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerProvenanceTest {
    private static final Path FIXTURE = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");

    @Test
    void hashesTheExactTokenizerJsonBytesAndRoundTripsThroughTableProperties() throws Exception {
        TokenizerProvenance tok = TokenizerProvenance.of(FIXTURE, "s3a://b/tok");
        try (InputStream in = Files.newInputStream(FIXTURE.resolve("tokenizer.json"))) {
            assertEquals(TokenizerProvenance.sha256(in), tok.sha256());
        }
        assertEquals(Map.of("zerospark.tokenizer.sha256", tok.sha256(), "zerospark.tokenizer.uri", "s3a://b/tok"), tok.toProperties());
        assertEquals(Optional.of(tok), TokenizerProvenance.fromProperties(tok.toProperties(), "t"));
        assertEquals(Optional.empty(), TokenizerProvenance.fromProperties(Map.of("delta.appendOnly", "true"), "t"));
    }

    @Test
    void unusablePropertiesNameTheTable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenizerProvenance.fromProperties(
                Map.of(TokenizerProvenance.SHA256_PROPERTY, "not-hex"), "file:/data/lm_blocks"));
        assertTrue(e.getMessage().contains("file:/data/lm_blocks") && e.getMessage().contains("not-hex"), e.getMessage());
    }
}
