package dev.zerospark.cli;

import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.TokenizerProvenance;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outputs carry the tokenizer that made them: prepare records it in its tables' properties and refuses an output
 * made with another one; train copies it into the checkpoint root and records it in the manifest; export writes it
 * with the model, so {@code complete} runs on a fresh export without {@code --tokenizer}.
 */
class TokenizerProvenanceTest {
    @TempDir Path tmp;

    private Path input() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("{\"id\":\"p" + i + "\",\"title\":\"Ferry " + i + "\",\"body\":\"On day " + i + " the harbour council met to vote on"
                    + " the new ferry timetable. The vote passed after a long debate about the early boats and the fares.\"}");
        }
        return Files.write(tmp.resolve("articles.jsonl"), lines);
    }

    private static String sha256(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return TokenizerProvenance.sha256(in);
        }
    }

    private static Map<String, String> properties(SparkSession spark, Path table) {
        return scala.jdk.javaapi.CollectionConverters.asJava(DeltaLog.forTable(spark, table.toString())
                .update(false, Option.empty(), Option.empty()).metadata().configuration());
    }

    @Test
    void prepareTrainExportCompleteCarryTheTokenizer() throws Exception {
        SparkSession spark = LocalSpark.session();
        Path in = input();
        Path tok = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");
        String sha = sha256(tok.resolve("tokenizer.json"));
        String tokUri = tok.toAbsolutePath().toUri().toString().replaceAll("/+$", "");
        Path out = tmp.resolve("tables");

        CliRun prep = CliRun.of("prepare", "--input", in.toString(), "--tokenizer", tok.toString(), "--output", out.toString(), "--seq-len", "32");
        assertEquals(0, prep.code(), prep.toString());
        for (String table : List.of("articles", "lm_blocks")) {
            Map<String, String> p = properties(spark, out.resolve(table));
            assertEquals(sha, p.get(TokenizerProvenance.SHA256_PROPERTY), table + ": " + p);
            assertEquals(tokUri, p.get(TokenizerProvenance.URI_PROPERTY), table + ": " + p);
        }
        assertEquals(0L, DeltaLog.forTable(spark, out.resolve("lm_blocks").toString()).update(false, Option.empty(), Option.empty()).version(),
                "the properties come with the creating commit, not a second one");

        // Another tokenizer.json (one byte more: a different file) into the same output: refused before any work.
        Path other = Files.createDirectories(tmp.resolve("other-tokenizer"));
        for (String f : TokenizerProvenance.FILES) Files.copy(tok.resolve(f), other.resolve(f));
        Files.writeString(other.resolve("tokenizer.json"), Files.readString(other.resolve("tokenizer.json")) + "\n");
        String otherSha = sha256(other.resolve("tokenizer.json"));
        CliRun again = CliRun.of("prepare", "--input", in.toString(), "--tokenizer", other.toString(), "--output", out.toString(), "--seq-len", "32");
        assertEquals(2, again.code(), again.toString());
        List<String> err = again.err().strip().lines().toList();
        assertEquals(1, err.size(), again.err());
        String line = err.get(0);
        assertTrue(line.contains(out.resolve("articles").toString()), line);
        assertTrue(line.contains(sha.substring(0, 12)) && line.contains(otherSha.substring(0, 12)), line);
        assertTrue(line.contains(tokUri) && line.contains(other.toUri().toString().replaceAll("/+$", "")), line);
        assertEquals(1L, spark.read().format("delta").load(out.resolve("stats").toString()).count(), "the refused run wrote nothing");

        // Train: the checkpoint root gets the tokenizer files, every manifest names the tokenizer.
        String ckpt = tmp.resolve("ckpt").toUri().toString();
        CliRun train = CliRun.of("train", "--arch", "gpt2", "--preset", "tiny", "--data", out.resolve("lm_blocks").toString(),
                "--world-size", "1", "--steps", "2", "--micro-batch-size", "2", "--seq-len", "32", "--checkpoint-dir", ckpt,
                "--checkpoint-interval", "2", "--run-dir", tmp.resolve("run").toUri().toString());
        assertEquals(0, train.code(), train.toString());
        assertEquals(sha, sha256(tmp.resolve("ckpt/tokenizer.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("ckpt/tokenizer_config.json")));
        Manifest m = new CheckpointStore(ckpt, new Configuration()).latestValid().orElseThrow();
        assertEquals(sha, m.data().tokenizer().sha256(), m.data().toString());
        assertEquals(tokUri, m.data().tokenizer().uri(), m.data().toString());

        // Export with no --tokenizer: the model directory decodes with the tokenizer it was trained on.
        Path hf = tmp.resolve("hf");
        CliRun export = CliRun.of("export", ckpt, "--output", hf.toString());
        assertEquals(0, export.code(), export.toString());
        assertFalse(export.err().contains("warning"), export.err());
        assertEquals(sha, sha256(hf.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(hf.resolve("tokenizer_config.json")));
        CliRun complete = CliRun.of("complete", "--model", hf.toString(), "--prompt", "x", "--max-new-tokens", "3");
        assertEquals(0, complete.code(), complete.toString());

        // A checkpoint root without the files still exports, with a warning that complete will need a tokenizer.
        for (String f : TokenizerProvenance.FILES) Files.delete(tmp.resolve("ckpt").resolve(f));
        CliRun bare = CliRun.of("export", ckpt, "--output", tmp.resolve("hf-bare").toString());
        assertEquals(0, bare.code(), bare.toString());
        assertTrue(bare.err().contains("warning") && bare.err().contains("--tokenizer"), bare.err());
        assertFalse(Files.exists(tmp.resolve("hf-bare/tokenizer.json")));
    }
}
