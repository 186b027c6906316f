package dev.zerospark.cli;

import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark prepare} run in-process on local Spark: what a user sees when the input's fields are not the defaults. */
class PrepareCommandTest {
    @TempDir Path tmp;

    /** Ten articles whose text is under {@code text}, not the default {@code body}. */
    private Path input() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add("{\"id\":\"n" + i + "\",\"title\":\"Story " + i + "\",\"text\":\"Article number " + i
                    + " tells how the harbour council met on day " + i + " to vote on the new ferry timetable, which passed after a long debate.\"}");
        }
        Path in = tmp.resolve("articles.jsonl");
        Files.write(in, lines);
        return in;
    }

    @Test
    void everyRecordQuarantinedFailsWithReasonsFieldsAndFlags() throws Exception {
        LocalSpark.session();
        Path in = input();
        String tok = TestPaths.fixture("tokenizer-bytelevel-bpe-1024").toString();
        Path out = tmp.resolve("tables");
        CliRun r = CliRun.of("prepare", "--input", in.toString(), "--tokenizer", tok, "--output", out.toString(), "--seq-len", "32");
        assertEquals(1, r.code(), r.toString());
        List<String> err = r.err().strip().lines().toList();
        assertEquals(1, err.size(), r.err());
        String line = err.get(0);
        assertTrue(line.contains("all 10 input records were quarantined {missing_body=10}"), line);
        assertTrue(line.contains("fields found in the first records: id, title, text"), line);
        assertTrue(line.contains("--body-field"), line);
        assertFalse(r.out().contains("table lm_blocks"), "no table paths for tables that hold nothing:\n" + r.out());

        CliRun fixed = CliRun.of("prepare", "--input", in.toString(), "--tokenizer", tok, "--output", tmp.resolve("tables2").toString(),
                "--seq-len", "32", "--body-field", "text");
        assertEquals(0, fixed.code(), fixed.toString());
        assertTrue(fixed.out().strip().lines().reduce((a, b) -> b).orElseThrow().contains("\"clean\":10"), fixed.out());
        assertTrue(fixed.out().contains("zerospark table show " + tmp.resolve("tables2")), fixed.out());
    }

    @Test
    void helpShowsTheSeqLenDefault() {
        CliRun r = CliRun.of("prepare", "--help");
        assertTrue(r.out().contains("--seq-len") && r.out().contains("default 512"), r.out());
    }
}
