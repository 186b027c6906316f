package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.LocalSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tokenizer train} as the first step of a new project: straight from raw files, before any table exists. */
class TokenizerCommandTest {
    @TempDir Path tmp;

    @Test
    void trainsFromRawFilesWithFormatAndNamesTheFixWithout() throws Exception {
        LocalSpark.session();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("{\"id\":\"r" + i + "\",\"title\":\"Harbour news " + i + "\",\"story\":\"The harbour council met again on day " + i
                    + " and voted to extend the ferry timetable, while fishermen asked for a new pier and better lights.\"}");
        }
        Path in = tmp.resolve("raw.jsonl");
        Files.write(in, lines);
        Path out = tmp.resolve("tok");
        CliRun r = CliRun.of("tokenizer", "train", "--input", in.toString(), "--format", "jsonl", "--body-field", "story",
                "--vocab-size", "300", "--output", out.toString());
        assertEquals(0, r.code(), r.toString());
        JsonNode summary = new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(300, summary.get("vocab_size").asInt(), summary.toString());
        assertTrue(summary.get("merges").asInt() > 0, "merges were learned from the 'story' texts: " + summary);
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));

        CliRun noFormat = CliRun.of("tokenizer", "train", "--input", in.toString(), "--vocab-size", "300", "--output", tmp.resolve("t2").toString());
        assertEquals(2, noFormat.code(), noFormat.toString());
        assertTrue(noFormat.err().contains("not a Delta table") && noFormat.err().contains("--format"), noFormat.err());
    }
}
