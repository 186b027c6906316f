package dev.zerospark.data;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run that crashed between its lm_blocks and articles commits, rerun with another split size: no token twice. */
class OrphanBlocksTest {
    private static PrepareConfig config(Path in, Path out, int splitMb) {
        PrepareConfig base = PrepareConfig.defaults().with(in.toString(), "jsonl", TestPaths.fixture("tokenizer-bytelevel-bpe-1024").toString(),
                out.toUri().toString(), 64);
        return new PrepareConfig(base.input(), base.format(), base.tokenizer(), base.output(), base.seqLen(), null, null, null, null,
                null, null, splitMb);
    }

    private static long blockTokens(SparkSession spark, Path out) {
        return spark.read().format("delta").load(out.resolve("lm_blocks").toString()).selectExpr("coalesce(sum(size(input_ids)), 0)").first().getLong(0);
    }

    @Test
    void blocksOfARunThatNeverCommittedItsArticlesAreReplacedNotDoubled(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path in = Files.createDirectories(dir.resolve("in"));
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 700; i++) {
            jsonl.append("{\"id\":\"o").append(i).append("\",\"title\":\"Headline ").append(i).append("\",\"body\":\"")
                    .append(PrepareJobTest.article(5000 + i, 320)).append("\"}\n");
        }
        Files.writeString(in.resolve("a.jsonl"), jsonl);
        assertTrue(Files.size(in.resolve("a.jsonl")) > 1 << 20, "two 1 MiB splits in the first run");
        Path out = dir.resolve("out");

        PrepareResult first = PrepareJob.run(spark, config(in, out, 1));
        assertEquals(first.blocks() * 65, blockTokens(spark, out));
        // The crash: lm_blocks (and quarantine, sft_pairs) committed, articles and stats not.
        for (String t : new String[] {"articles", "stats"}) {
            try (Stream<Path> walk = Files.walk(out.resolve(t))) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }

        // The rerun packs the same articles from one split: other block boundaries, other block ids.
        PrepareResult rerun = PrepareJob.run(spark, config(in, out, 64));
        assertEquals(first.newArticles(), rerun.newArticles(), rerun.toJson());
        assertEquals(0L, spark.read().format("delta").load(out.resolve("lm_blocks").toString()).where("run_id = '" + first.runId() + "'").count(),
                "the crashed run's blocks are gone");
        long tokens = spark.read().format("delta").load(out.resolve("articles").toString()).selectExpr("sum(n_tokens)").first().getLong(0);
        long packed = blockTokens(spark, out);
        assertEquals(rerun.blocks() * 65, packed);
        assertTrue(packed <= tokens && tokens - packed < 65, "every token once, only the last short tail dropped: " + packed + " of " + tokens);

        // A clean rerun after that finds nothing orphaned and adds nothing.
        PrepareResult again = PrepareJob.run(spark, config(in, out, 64));
        assertEquals(0, again.newArticles());
        assertEquals(packed, blockTokens(spark, out));
        Row r = spark.sql("SELECT count(DISTINCT run_id) FROM delta.`" + out.resolve("lm_blocks") + "`").first();
        assertEquals(1L, r.getLong(0));
    }
}
