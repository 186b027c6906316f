package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data commands' contracts that need no Spark: usage errors exit 2, and {@code tokenizer encode} output. */
class DataCommandsTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String stdin, String... args) {
        CommandLine cl = ZeroSpark.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        InputStream saved = System.in;
        try {
            if (stdin != null) System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int code = cl.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void prepareUsageErrorsExitTwoAndNameTheKey() {
        Run missing = run(null, "prepare", "--input", "x.jsonl", "--output", "out");
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("prepare.tokenizer"), missing.err());
        Run badLen = run(null, "prepare", "--input", "x", "--tokenizer", "t", "--output", "o", "--seq-len", "-3");
        assertEquals(2, badLen.code());
        assertTrue(badLen.err().contains("prepare.seq_len"), badLen.err());
        Run badFormat = run(null, "prepare", "--input", "x", "--tokenizer", "t", "--output", "o", "--format", "xml");
        assertEquals(2, badFormat.code());
        assertTrue(badFormat.err().contains("prepare.format"), badFormat.err());
        assertEquals(2, run(null, "tokenizer", "train", "--input", "t", "--output", "o").code(), "--vocab-size is required");
    }

    @Test
    void encodePrintsReferenceIdsPerLine() throws Exception {
        Path tok = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");
        ObjectMapper json = new ObjectMapper();
        JsonNode samples = json.readTree(tok.resolve("tokenizer_reference.json").toFile()).get("samples");
        StringBuilder jsonLines = new StringBuilder();
        for (JsonNode s : samples) jsonLines.append(json.writeValueAsString(s.get("text").asText())).append('\n');
        Run r = run(jsonLines.toString(), "tokenizer", "encode", "--tokenizer", tok.toString(), "--json-lines");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(samples.size(), lines.length);
        for (int i = 0; i < lines.length; i++) assertEquals(samples.get(i).get("ids"), json.readTree(lines[i]), "line " + i);

        Run plain = run("Diamond Shamrock Corp said\n\n", "tokenizer", "encode", "--tokenizer", tok.toString());
        assertEquals(0, plain.code(), plain.err());
        assertEquals(2, plain.out().split("\n").length, "one array per input line, empty line included");
        assertEquals("[]", plain.out().split("\n")[1]);

        Run bad = run("not json\n", "tokenizer", "encode", "--tokenizer", tok.toString(), "--json-lines");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("line 1"), bad.err());
    }
}
