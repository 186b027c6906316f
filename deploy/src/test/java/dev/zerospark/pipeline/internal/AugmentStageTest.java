package dev.zerospark.pipeline.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.ZeroSparkConfig;
import dev.zerospark.data.sample.SampleCorpus;
import dev.zerospark.pipeline.PipelineStages;
import dev.zerospark.pipeline.PipelineSummary;
import dev.zerospark.pipeline.Stage;
import dev.zerospark.pipeline.StageRecord;
import dev.zerospark.pipeline.StageStatus;
import dev.zerospark.table.Articles;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The augment stage inside {@code pipeline run}: a teacher writes targets for the new articles without one, the run's
 * train stage trains on them (with their loss masks) next to the new blocks, and no article goes to the teacher twice,
 * neither in a rerun of the run nor in a later run.
 */
class AugmentStageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    private ZeroSparkConfig config(boolean withTeacher) {
        String tiny = TestPaths.fixture("tiny-gpt2").toString();
        Map<String, Object> k = new HashMap<>();
        k.put("pipeline.name", "riddler");
        k.put("pipeline.registry", tmp.resolve("registry").toUri().toString());
        k.put("pipeline.base_model", tiny);
        k.put("pipeline.steps", 2);
        k.put("pipeline.stages.augment", true);
        k.put("pipeline.stages.eval", false);
        k.put("pipeline.stages.promote", false);
        k.put("pipeline.stages.generate", false);
        if (withTeacher) k.put("pipeline.augment.teacher", tiny);
        // What the tiny teacher (64 positions) can do: 4-token riddles (the instruct template alone takes 57 tokens).
        // Greedy, it writes much the same for every article, so the duplicate filter keeps few.
        k.put("pipeline.augment.template", "riddle");
        k.put("pipeline.augment.max_new_tokens", 4);
        k.put("pipeline.augment.min_words", 1);
        k.put("prepare.input", tmp.resolve("inbox") + "/*.jsonl");
        k.put("prepare.tokenizer", tiny);
        k.put("prepare.output", tmp.resolve("tables").toString());
        k.put("prepare.seq_len", 60); // pairs of 61 tokens: room for the riddle template, a title and a response
        k.put("train.world_size", 1);
        k.put("train.micro_batch_size", 2);
        k.put("train.checkpoint_interval", 2);
        k.put("train.eval_interval", 0);
        return ConfigLoader.load(null, k);
    }

    private PipelineSummary run(String runId) {
        ZeroSparkConfig c = config(true);
        return PipelineRunner.create(LocalSpark.session(), c, PipelineStages.of(c)).run(runId);
    }

    private RunsTable runs() {
        return new RunsTable(LocalSpark.session(), tmp.resolve("registry/riddler/pipeline_runs").toUri().toString());
    }

    private StageRecord latest(String runId, String stage) {
        return runs().latest(runId).stream().filter(r -> r.stage().equals(stage)).findFirst().orElseThrow();
    }

    private Dataset<Row> table(String name) {
        return LocalSpark.session().read().format("delta").load(tmp.resolve("tables").resolve(name).toString());
    }

    @Test
    void newArticlesGetTargetsTrainUsesThemAndNoArticleGoesToTheTeacherTwice() throws Exception {
        SparkSession spark = LocalSpark.session();
        SampleCorpus.write(tmp.resolve("inbox"), 12, 42); // every third article has a target
        PipelineSummary a1 = run("a1");
        assertEquals(PipelineSummary.Outcome.DONE, a1.outcome(), a1.toString());

        StageRecord aug1 = latest("a1", Stage.AUGMENT);
        assertEquals(StageStatus.SUCCEEDED, aug1.status(), aug1.toString());
        String pairsUri = JSON.readTree(aug1.metrics()).get("table").asText();
        assertTrue(pairsUri.endsWith("/tables/self_instruct"), pairsUri);
        long written1 = JSON.readTree(aug1.metrics()).get("written").asLong();
        assertTrue(written1 > 0, "the tiny teacher wrote targets the filters keep: " + aug1);
        long withoutTarget = table("articles").filter(col(Articles.TARGET).isNull().or(col(Articles.TARGET).equalTo(""))).count();
        assertTrue(withoutTarget > 0 && withoutTarget < 12, "some articles of the sample lack a target: " + withoutTarget);
        assertEquals(withoutTarget, table("self_instruct_teacher_generations").count(), "the teacher saw exactly the articles without a target");
        Dataset<Row> pairs = table("self_instruct");
        assertEquals(written1, pairs.count());
        assertEquals(61, pairs.first().<Integer>getList(pairs.first().fieldIndex("input_ids")).size(), "pairs as long as an lm_blocks row (seq_len + 1)");
        long trainable1 = pairs.filter("exists(loss_mask, m -> m > 0)").count();
        assertTrue(trainable1 > 0, "some pairs have response tokens to train on");

        // Train took the pairs, pinned at the version augment left, with their masks; the blocks with a mask of ones.
        StageRecord train1 = latest("a1", Stage.TRAIN);
        assertEquals(StageStatus.SUCCEEDED, train1.status(), train1.toString());
        JsonNode t1 = JSON.readTree(train1.metrics());
        assertEquals(trainable1, t1.get("pair_rows").asLong(), "the pairs with a response: " + t1);
        assertEquals(aug1.outputVersions().get(pairsUri), train1.inputVersions().get(pairsUri), "the pairs' version is pinned: " + train1);
        Dataset<Row> mix = spark.read().format("delta").load(t1.get("train_mix").asText());
        assertEquals(trainable1, mix.filter(col("origin").equalTo("self_instruct")).count());
        for (Row r : mix.collectAsList()) {
            List<Integer> ids = r.getList(r.fieldIndex("input_ids"));
            List<Integer> mask = r.getList(r.fieldIndex("loss_mask"));
            assertEquals(ids.size(), mask.size(), r.toString());
            int ones = mask.stream().mapToInt(Integer::intValue).sum();
            if (r.getString(r.fieldIndex("origin")).equals("self_instruct")) assertTrue(ones > 0 && ones < mask.size(), "a pair trains on its response only: " + r);
            else assertEquals(mask.size(), ones, "a block trains on every token: " + r);
        }

        // A rerun of the run starts nothing: augment is done.
        long generationsVersion = TrainingMix.latestVersion(spark, tmp.resolve("tables/self_instruct_teacher_generations").toString());
        assertEquals(PipelineSummary.Outcome.DONE, run("a1").outcome());
        assertTrue(runs().records("a1").stream().noneMatch(r -> r.attempt() == 2 && r.status() == StageStatus.STARTED), runs().records("a1").toString());

        // New articles without targets: only they go to the teacher, and train mixes only the pairs added since a1.
        Files.write(tmp.resolve("inbox/new.jsonl"), articles("fresh", 4, 11));
        PipelineSummary a2 = run("a2");
        assertEquals(PipelineSummary.Outcome.DONE, a2.outcome(), a2.toString());
        StageRecord aug2 = latest("a2", Stage.AUGMENT);
        assertEquals(StageStatus.SUCCEEDED, aug2.status(), aug2.toString());
        assertEquals(withoutTarget + 4, table("self_instruct_teacher_generations").count(), "no article went to the teacher twice");
        long written2 = JSON.readTree(aug2.metrics()).get("written").asLong();
        assertEquals(written1 + written2, table("self_instruct").count());
        JsonNode t2 = JSON.readTree(latest("a2", Stage.TRAIN).metrics());
        long trainable2 = table("self_instruct").filter("exists(loss_mask, m -> m > 0)").count() - trainable1;
        assertEquals(trainable2, t2.get("pair_rows").asLong(), "only the pairs a2 added: " + t2);

        // No new data: augment is skipped and says why; the teacher's table is untouched.
        long before = TrainingMix.latestVersion(spark, tmp.resolve("tables/self_instruct_teacher_generations").toString());
        assertTrue(before > generationsVersion);
        PipelineSummary a3 = run("a3");
        assertEquals(PipelineSummary.Outcome.NOTHING_NEW, a3.outcome(), a3.toString());
        StageRecord aug3 = latest("a3", Stage.AUGMENT);
        assertEquals(StageStatus.SKIPPED, aug3.status());
        assertTrue(aug3.error().startsWith("no new articles: prepare added 0"), aug3.error());
        assertEquals(before, TrainingMix.latestVersion(spark, tmp.resolve("tables/self_instruct_teacher_generations").toString()));
    }

    @Test
    void theAugmentStageNeedsATeacher() {
        ZeroSparkConfig c = config(false);
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineRunner.create(LocalSpark.session(), c, PipelineStages.of(c)));
        assertEquals("pipeline.augment.teacher", e.keyPath());
        assertNull(ConfigLoader.load(null, Map.of()).pipeline().augment().teacher());
    }

    /** Articles of distinct random words, none near another or the sample's, without a target. */
    private static List<String> articles(String prefix, int n, long seed) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder body = new StringBuilder();
            for (int w = 0; w < 60; w++) {
                for (int c = 0, len = 3 + r.nextInt(6); c < len; c++) body.append((char) ('a' + r.nextInt(26)));
                body.append(w % 12 == 11 ? ". " : " ");
            }
            lines.add(JSON.createObjectNode().put("id", prefix + "-" + i).put("title", prefix + " story " + i)
                    .put("body", body.toString().strip()).put("published", "2025-02-0" + (1 + i % 9)).toString());
        }
        return lines;
    }
}
