package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.data.augment.AugmentJob;
import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.table.Articles;
import dev.zerospark.table.SftPairs;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code augment}: a teacher's targets become sft_pairs train takes as they are; a rerun adds nothing. */
class AugmentCommandTest {
    @TempDir Path tmp;

    private static JsonNode last(CliRun r) throws Exception {
        String[] lines = r.out().strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    @Test
    void aTeacherWritesTargetsThatTrainUsesAndARerunAddsNothing() throws Exception {
        SparkSession spark = LocalSpark.session();
        Path sample = dev.zerospark.data.sample.SampleCorpus.write(tmp.resolve("sample"), 30, 5);
        String fixture = TestPaths.fixture("tiny-gpt2").toString();
        CliRun prep = CliRun.of("prepare", "--input", sample.toString(), "--tokenizer", fixture, "--output", tmp.resolve("tables").toString(), "--seq-len", "64");
        assertEquals(0, prep.code(), prep.toString());
        String articles = tmp.resolve("tables/articles").toString();
        String out = tmp.resolve("aug").toString();
        String[] args = {"augment", "--input", articles, "--teacher", fixture, "--output", out, "--limit", "8", "--seq-len", "64",
                "--min-words", "1", "--max-new-tokens", "4", "--template", "riddle", "--master", "local[2]"};
        CliRun first = CliRun.of(args);
        assertEquals(0, first.code(), first.toString());
        JsonNode s = last(first);
        long rejected = 0;
        for (Iterator<JsonNode> it = s.get("rejected").elements(); it.hasNext(); ) rejected += it.next().asLong();
        assertTrue(s.get("candidates").asLong() > 0, s.toString());
        assertEquals(s.get("candidates").asLong(), s.get("accepted").asLong() + rejected, "every candidate accepted or rejected with a reason: " + s);
        assertEquals(s.get("accepted").asLong(), s.get("inserted").asLong(), s.toString());
        assertTrue(s.get("accepted").asLong() > 0, "the tiny teacher wrote something the filters keep: " + s);

        Set<String> withoutTarget = spark.read().format("delta").load(articles)
                .filter(Articles.TARGET + " IS NULL OR trim(" + Articles.TARGET + ") = ''").select(Articles.ARTICLE_ID)
                .as(org.apache.spark.sql.Encoders.STRING()).collectAsList().stream().collect(Collectors.toSet());
        List<Row> rows = spark.read().format("delta").load(out).collectAsList();
        assertEquals(s.get("accepted").asLong(), rows.size());
        String teacherId = ModelFiles.modelId(fixture, new Configuration());
        for (Row r : rows) {
            assertTrue(withoutTarget.contains(r.<String>getAs(SftPairs.ARTICLE_ID)), "only articles without a target");
            assertEquals(AugmentJob.SELF_INSTRUCT, r.getAs(AugmentJob.SOURCE));
            assertEquals(teacherId, r.getAs(AugmentJob.TEACHER_ID));
            assertEquals("riddle", r.getAs(AugmentJob.TEMPLATE));
            assertTrue(r.getAs(AugmentJob.CREATED_AT) != null);
            assertEquals(64, r.<Integer>getList(r.fieldIndex(SftPairs.INPUT_IDS)).size());
            assertTrue(r.<Integer>getList(r.fieldIndex(SftPairs.LOSS_MASK)).stream().mapToInt(Integer::intValue).sum() > 0, "the response carries loss");
        }

        CliRun again = CliRun.of(args);
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, last(again).get("inserted").asLong(), again.out());
        assertEquals(s.get("output_version").asLong(), last(again).get("output_version").asLong(), "no new commit");

        // train takes the augmented table as it is
        assertTrue(rows.stream().anyMatch(r -> Articles.TRAIN.equals(r.getAs(SftPairs.SPLIT))), "a train-split pair to train on");
        CliRun train = CliRun.of("train", "--model", fixture, "--data", out, "--world-size", "1", "--steps", "1",
                "--micro-batch-size", "1", "--checkpoint-dir", tmp.resolve("ckpt").toUri().toString(),
                "--run-dir", tmp.resolve("run").toUri().toString());
        assertEquals(0, train.code(), train.toString());
    }

    @Test
    void anEndpointTeacherIsNotAvailableYet() {
        CliRun r = CliRun.of("augment", "--input", tmp.toString(), "--endpoint", "http://127.0.0.1:1/v1", "--output", tmp.resolve("o").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("not available yet"), r.err());
    }
}
