package dev.zerospark.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.spark.Contracts;
import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.table.SftPairs;
import dev.zerospark.table.TableContract;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.testing.LocalSpark;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.HttpRequest;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.Warcinfo;
import org.netpreserve.jwarc.WarcWriter;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The prepare job end to end on a local[2] session: quarantine reasons, count reconciliation, dedup, packing,
 * SFT pairs, idempotent reruns, incremental input, plain-SQL readability, and the CSV, text, Parquet and WARC
 * readers. One class (one Spark startup); each test uses its own output folder.
 */
class PrepareJobTest {
    private static final Path TOKENIZER = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] WORDS = ("market shares bank rates oil price company profit board merger deal quarter growth "
            + "investors bonds yield dollar euro trade export import factory output wages union strike minister budget tax "
            + "deficit loan credit mortgage housing retail sales consumer demand supply crude barrel gas power grid wind solar "
            + "coal steel copper gold silver wheat corn coffee sugar cotton shipping port airline airport railway truck car "
            + "engine chip software network phone satellite court judge ruling appeal lawsuit regulator audit fraud fine").split(" ");

    /** A reproducible pseudo-article: long enough to pass min_chars and distinct enough for MinHash. */
    static String article(long seed, int words) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("The");
        for (int i = 0; i < words; i++) {
            sb.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
            if (i % 17 == 16) sb.append(". The");
        }
        return sb.append('.').toString();
    }

    static String line(String id, String title, String body, String published, String riddle) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", id);
        if (title != null) n.put("title", title);
        if (body != null) n.put("body", body);
        n.put("published", published);
        n.put("url", "https://news.example/" + id);
        if (riddle != null) n.put("riddle", riddle);
        return n.toString();
    }

    private static PrepareConfig config(String input, String format, Path out, int seqLen) {
        return PrepareConfig.defaults().with(input, format, TOKENIZER.toString(), out.toUri().toString(), seqLen);
    }

    private static long rows(SparkSession spark, Path out, String table) {
        return spark.read().format("delta").load(out.resolve(table).toString()).count();
    }

    @Test
    void jsonlQuarantineDedupPackingSftRerunAndIncrement(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path in = Files.createDirectories(dir.resolve("in"));
        Path out = dir.resolve("out");
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            a.add(line("a" + i, "Headline " + i, article(i, 160), "2024-01-0" + (i + 1), i % 2 == 0 ? "What rises when rates fall " + i + "?" : null));
        }
        a.add(line("a0-copy", "Headline 0 again", article(0, 160), "2024-02-01", null));                 // exact duplicate, later
        String near = article(1, 160);
        a.add(line("a1-near", "Headline 1 edit", near.substring(0, near.length() - 40) + " entirely new closing words here.", "2024-02-02", null));
        a.add("{\"id\": \"broken\", \"body\": \"unterminated");                                            // malformed_json
        a.add(line("nobody", "No body", null, "2024-01-09", null));                                     // missing_body
        a.add(line("html", "Only markup", "<div><script>track();</script><img src=\"x.png\"></div>", "2024-01-09", null)); // empty_after_cleaning
        a.add(line("long", "Long", article(99, 2000), "2024-01-09", null));                                // too_long (max_chars 5000)
        a.add(line("short", "Short", "Too short to train on.", "2024-01-09", null));                       // too_short
        a.add(line("symbols", "Symbols", "$$$ %%% ### @@@ &&& *** ".repeat(20), "2024-01-09", null));      // symbol_ratio
        a.add(line("spam", "Spam", "Click here to subscribe now\n".repeat(10) + article(7, 40), "2024-01-09", null)); // repeated_lines
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write((String.join("\n", a) + "\n").getBytes(StandardCharsets.UTF_8));
        bytes.write("{\"id\": \"latin1\", \"body\": \"caf".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {(byte) 0xE9, (byte) 0x20, (byte) 0xC3, (byte) 0x28}); // invalid_utf8
        bytes.write((" " + article(8, 60) + "\"}\n\n").getBytes(StandardCharsets.UTF_8));
        Files.write(in.resolve("a.jsonl"), bytes.toByteArray());

        PrepareConfig base = config(in.toString(), "jsonl", out, 64);
        PrepareConfig cfg = new PrepareConfig(base.input(), base.format(), base.tokenizer(), base.output(), base.seqLen(), null,
                new PrepareConfig.Clean(null, 5000, null, null, null, null, null, null, 200), null, null, 0.3, null, null);
        PrepareResult r1 = PrepareJob.run(spark, cfg);

        assertEquals(16, r1.input(), r1.toJson());
        assertEquals(6, r1.clean(), r1.toJson());
        assertEquals(6, r1.newArticles());
        assertEquals(1, r1.duplicates(), r1.toJson());
        assertEquals(1, r1.nearDuplicates(), r1.toJson());
        assertEquals(8, r1.quarantined(), r1.toJson());
        assertTrue(r1.reconciles());
        Map<String, Long> expectedReasons = new HashMap<>();
        for (String reason : List.of("malformed_json", "missing_body", "empty_after_cleaning", "too_long", "too_short",
                "symbol_ratio", "repeated_lines", "invalid_utf8")) expectedReasons.put(reason, 1L);
        assertEquals(expectedReasons, r1.quarantineReasons(), "one record per bad-record kind, each with its own reason");

        // Plain Spark SQL over the tables: quarantine reasons with lineage and raw prefix.
        String q = "delta.`" + out.resolve("quarantine") + "`";
        List<Row> quarantine = spark.sql("SELECT reason, source_file, source_offset, raw_prefix, run_id FROM " + q + " ORDER BY source_offset").collectAsList();
        assertEquals(8, quarantine.size());
        long line9 = (String.join("\n", a.subList(0, 8)) + "\n").getBytes(StandardCharsets.UTF_8).length;
        for (Row row : quarantine) {
            assertTrue(row.getString(1).endsWith("a.jsonl"), row.toString());
            assertTrue(row.getLong(2) >= line9, "byte offset of a line from the 9th on: " + row);
            assertEquals(r1.runId(), row.getString(4));
            assertFalse(row.isNullAt(3), "raw prefix kept: " + row);
        }
        Row utf8 = spark.sql("SELECT source_offset, raw_prefix FROM " + q + " WHERE reason = 'invalid_utf8'").first();
        assertEquals((long) (String.join("\n", a) + "\n").getBytes(StandardCharsets.UTF_8).length, utf8.getLong(0), "byte offset of the invalid line");
        assertTrue(utf8.getString(1).startsWith("{\"id\": \"latin1\""), utf8.getString(1));
        assertEquals(expectedReasons.size(), spark.sql("SELECT DISTINCT reason FROM " + q).count());
        assertEquals(1L, spark.sql("SELECT count(*) FROM " + q + " WHERE reason = 'too_long'").first().getLong(0));

        // Articles: the earliest copy is kept, lineage columns set.
        String art = "delta.`" + out.resolve("articles") + "`";
        List<Row> ids = spark.sql("SELECT article_id, source_offset, run_id, content_hash, n_tokens, text FROM " + art + " ORDER BY article_id").collectAsList();
        assertEquals(List.of("a0", "a1", "a2", "a3", "a4", "a5"), ids.stream().map(x -> x.getString(0)).toList());
        for (Row row : ids) {
            assertEquals(64, row.getString(3).length());
            assertEquals(r1.runId(), row.getString(2));
        }
        try (HfTokenizer tok = HfTokenizer.load(TOKENIZER)) {
            Row a0 = ids.get(0);
            assertEquals(tok.encode("Headline 0\n\n" + a0.getString(5)).length + 1, a0.getInt(4), "n_tokens = LM text + EOS");
        }

        // Blocks: seq_len + 1 tokens each, split deterministic per article.
        String lm = "delta.`" + out.resolve("lm_blocks") + "`";
        assertEquals(r1.blocks(), spark.sql("SELECT count(*) FROM " + lm).first().getLong(0));
        assertEquals(0, spark.sql("SELECT count(*) FROM " + lm + " WHERE size(input_ids) <> 65").first().getLong(0));
        long tokens = spark.sql("SELECT sum(n_tokens) FROM " + art).first().getLong(0);
        assertEquals(tokens, r1.tokens());
        assertTrue(r1.blocks() * 65 <= tokens && tokens - r1.blocks() * 65 < 65L * 2, "group_texts drops only the last short tail of each split: " + r1.toJson());
        assertEquals(0, spark.sql("SELECT count(*) FROM " + lm + " WHERE split NOT IN ('train', 'validation')").first().getLong(0));

        // SFT pairs for the 3 articles with a riddle.
        String sft = "delta.`" + out.resolve("sft_pairs") + "`";
        assertEquals(3, r1.sftPairs());
        assertEquals(3, r1.sftTruncated(), "160-word articles do not fit seq_len 64 whole: " + r1.toJson());
        // The prompt column and the prompt's ids are the riddle template rendered with the room the response leaves:
        // exactly the prompt and ids generate feeds the model for the same article.
        List<Row> rendered = spark.sql("SELECT a." + Articles.TITLE + ", a." + Articles.TEXT + ", s." + SftPairs.PROMPT + ", s." + SftPairs.INPUT_IDS
                + ", s." + SftPairs.PROMPT_TOKENS + ", s." + SftPairs.RESPONSE + " FROM " + sft + " s JOIN " + art + " a ON s."
                + SftPairs.CONTENT_HASH + " = a." + Articles.CONTENT_HASH).collectAsList();
        assertEquals(3, rendered.size());
        try (HfTokenizer tok = HfTokenizer.load(TOKENIZER)) {
            for (Row p : rendered) {
                int response = tok.encode(" " + p.getString(5)).length + 1;
                RenderedPrompt want = PromptTemplates.RIDDLE.render(TemplateInput.of(p.getString(0), p.getString(1)), tok, 64 - response);
                assertTrue(want.truncated());
                assertEquals(want.text(), p.getString(2));
                List<Integer> pairIds = p.getList(3);
                assertEquals(want.tokenIds().length, p.getInt(4));
                assertEquals(java.util.Arrays.stream(want.tokenIds()).boxed().toList(), pairIds.subList(0, p.getInt(4)));
            }
        }
        Map<String, String> sftProperties = DeltaTables.properties(spark, out.resolve("sft_pairs").toString());
        assertEquals("riddle", sftProperties.get(SftPairs.TEMPLATE_ID_PROPERTY));
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(PromptTemplates.RIDDLE.text().getBytes(StandardCharsets.UTF_8))), sftProperties.get(SftPairs.TEMPLATE_SHA256_PROPERTY));
        assertTrue(sftProperties.containsKey(dev.zerospark.tokenizer.TokenizerProvenance.SHA256_PROPERTY), sftProperties.toString());
        // The tables have their contracts' columns, in order, with their types.
        for (TableContract c : List.of(Articles.CONTRACT, LmBlocks.CONTRACT, SftPairs.CONTRACT)) {
            StructType actual = spark.read().format("delta").load(out.resolve(c.table()).toString()).schema();
            StructType declared = Contracts.schema(c);
            assertEquals(declared.fieldNames().length, actual.fieldNames().length, c.table() + ": " + actual.treeString());
            for (int i = 0; i < declared.fields().length; i++) {
                assertEquals(declared.fields()[i].name(), actual.fields()[i].name(), c.table());
                // catalogString: the type without nullability, which a Delta table read back does not keep for array elements.
                assertEquals(declared.fields()[i].dataType().catalogString(), actual.fields()[i].dataType().catalogString(), c.table() + "." + declared.fields()[i].name());
            }
        }
        List<Row> pairs = spark.sql("SELECT input_ids, loss_mask, prompt_tokens, response FROM " + sft).collectAsList();
        assertEquals(3, pairs.size());
        for (Row p : pairs) {
            List<Integer> pIds = p.getList(0);
            List<Integer> mask = p.getList(1);
            assertEquals(64, pIds.size());
            assertEquals(64, mask.size());
            int prompt = p.getInt(2);
            for (int i = 0; i < prompt; i++) assertEquals(0, mask.get(i));
            assertTrue(mask.stream().mapToInt(Integer::intValue).sum() > 3, "response is trained on");
            assertTrue(p.getString(3).startsWith("What rises"));
        }

        // Stats: one row per run with counts and table versions.
        Row stat = spark.sql("SELECT input, clean, quarantined, duplicates, near_duplicates, table_versions['articles'] FROM delta.`"
                + out.resolve("stats") + "`").first();
        assertEquals(16L, stat.getLong(0));
        assertEquals(0L, stat.getLong(5));

        // Delta keeps per-file min/max statistics on keys and lineage, not on prose (gathering those copied every text).
        int files = 0;
        for (String line : Files.readAllLines(out.resolve("articles/_delta_log/00000000000000000000.json"))) {
            com.fasterxml.jackson.databind.JsonNode add = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("add");
            if (add == null) continue;
            files++;
            com.fasterxml.jackson.databind.JsonNode min = new com.fasterxml.jackson.databind.ObjectMapper().readTree(add.get("stats").asText()).get("minValues");
            assertTrue(min.has("content_hash") && min.has("source_offset"), min.toString());
            assertFalse(min.has("text") || min.has("title") || min.has("url"), min.toString());
        }
        assertTrue(files > 0, "the first commit adds the articles' files");

        // Rerun: same counts, nothing added anywhere.
        long articles = rows(spark, out, "articles");
        long blocks = rows(spark, out, "lm_blocks");
        PrepareResult r2 = PrepareJob.run(spark, cfg);
        assertEquals(List.of(16L, 6L, 0L, 8L, 1L, 1L, 0L, 0L), List.of(r2.input(), r2.clean(), r2.newArticles(), r2.quarantined(),
                r2.duplicates(), r2.nearDuplicates(), r2.blocks(), r2.sftPairs()), r2.toJson());
        assertEquals(articles, rows(spark, out, "articles"));
        assertEquals(blocks, rows(spark, out, "lm_blocks"));
        assertEquals(8, rows(spark, out, "quarantine"));
        assertEquals(3, rows(spark, out, "sft_pairs"));
        assertEquals(2, rows(spark, out, "stats"));

        // Another template into the same sft_pairs is refused before any work: the table would hold two formats.
        PrepareConfig instruct = new PrepareConfig(cfg.input(), cfg.format(), cfg.tokenizer(), cfg.output(), cfg.seqLen(), null,
                cfg.clean(), null, new PrepareConfig.Sft("instruct", null), 0.3, null, null);
        TemplateMismatchException mismatch = assertThrows(TemplateMismatchException.class, () -> PrepareJob.run(spark, instruct));
        assertTrue(mismatch.getMessage().contains("'riddle'") && mismatch.getMessage().contains("'instruct'"), mismatch.getMessage());
        assertEquals(2, rows(spark, out, "stats"), "nothing ran");

        // A new file: two new articles and a copy of an old one; only the two are added.
        Files.writeString(in.resolve("b.jsonl"), String.join("\n",
                line("b0", "New one", article(100, 150), "2024-03-01", "Which barrel is never full?"),
                line("b1", "New two", article(101, 150), "2024-03-02", null),
                line("b-copy", "Old news", article(3, 160), "2024-03-03", null)) + "\n");
        PrepareResult r3 = PrepareJob.run(spark, cfg);
        assertEquals(19, r3.input());
        assertEquals(2, r3.newArticles(), r3.toJson());
        assertEquals(8, r3.clean());
        assertEquals(2, r3.duplicates(), r3.toJson());
        assertTrue(r3.reconciles(), r3.toJson());
        assertEquals(articles + 2, rows(spark, out, "articles"));
        assertEquals(4, rows(spark, out, "sft_pairs"));
        assertEquals(blocks + r3.blocks(), rows(spark, out, "lm_blocks"));
        assertTrue(r3.blocks() > 0);

        // A tokenizer trained on the articles table (Spark word counts, driver merges) loads in DJL and round-trips.
        Path tokDir = dir.resolve("trained-tokenizer");
        var model = dev.zerospark.data.tokenize.TokenizerTraining.train(
                dev.zerospark.data.tokenize.TokenizerTraining.articleTexts(spark, out.resolve("articles").toString()), 400, 2, 100_000, tokDir);
        assertEquals(400, model.vocab().size(), "the articles have enough distinct pairs for 142 merges");
        try (HfTokenizer trained = HfTokenizer.load(tokDir)) {
            String seen = spark.sql("SELECT text FROM " + art + " ORDER BY article_id LIMIT 1").first().getString(0);
            assertTrue(trained.encode(seen).length < seen.length() / 2, "merges learned from the corpus compress it");
            for (String text : List.of("Unicode: café naïve Zürich — “quotes” 北京 🚀 emoji 👩‍👩‍👧",
                    "  Leading and trailing   spaces,\ttabs\nand newlines  \n\n", "\u0000\u001f control \r\n", "")) {
                assertEquals(text, trained.decode(trained.encode(text), false), "round trip of " + text);
            }
        }
    }

    @Test
    void csvTextParquetAndWarcReaders(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        // CSV: header, a quoted body with a newline and a doubled quote, and one row with a missing field.
        Path csv = Files.createDirectories(dir.resolve("csv"));
        Files.writeString(csv.resolve("news.csv"), "id,title,body,published\n"
                + "c1,First,\"" + article(200, 80) + "\nSecond paragraph says \"\"hello\"\".\",2024-01-01\n"
                + "c2,Broken," + article(201, 80) + "\n"
                + "c3,Third,\"" + article(202, 80) + "\",2024-01-03\n");
        List<Row> rc = ingest(spark, config(csv.toString(), "csv", dir.resolve("out-csv"), 32));
        assertEquals(3, rc.size());
        assertEquals(Map.of("malformed_csv", 1L), reasons(rc));
        assertEquals(4L, rc.stream().filter(r -> r.getAs("reason") != null).findFirst().orElseThrow().<Long>getAs("source_offset"), "line of the bad row (the quoted newline in c1 spans lines 2-3)");
        assertTrue(rows(rc, "c1").<String>getAs("text").endsWith(" Second paragraph says \"hello\"."), "hard-wrapped lines are joined: " + rows(rc, "c1").getAs("text"));

        // A folder of text files: title line, blank line, body.
        Path txt = Files.createDirectories(dir.resolve("txt"));
        Files.writeString(txt.resolve("one.txt"), "Text headline\n\n" + article(300, 90) + "\n");
        Files.writeString(txt.resolve("two.txt"), article(301, 90));
        Files.writeString(txt.resolve("ignored.md"), article(302, 90));
        List<Row> rt = ingest(spark, config(txt.toString(), "text", dir.resolve("out-txt"), 32));
        assertEquals(2, rt.size());
        assertEquals(Map.of(), reasons(rt));
        assertEquals("Text headline", rows(rt, "one").getAs("title"));
        assertEquals(article(300, 90), rows(rt, "one").getAs("text"));

        // Parquet with renamed fields.
        Path pq = dir.resolve("pq");
        spark.sql("SELECT CAST(id AS STRING) AS doc, concat('Parquet ', id) AS headline, "
                + "concat('" + article(400, 60) + " number ', CAST(id AS STRING), ' " + article(401, 30) + "') AS content FROM range(3)")
                .write().parquet(pq.toString());
        PrepareConfig p = config(pq.toString(), "parquet", dir.resolve("out-pq"), 32);
        p = new PrepareConfig(p.input(), p.format(), p.tokenizer(), p.output(), p.seqLen(),
                new PrepareConfig.Fields("doc", "headline", "content", null, null, null),
                null, new PrepareConfig.Dedup(false, null, null, null, null, null), null, null, null, null);
        List<Row> rp = ingest(spark, p);
        assertEquals(3, rp.size());
        assertEquals(Map.of(), reasons(rp));
        assertEquals("Parquet 1", rows(rp, "1").getAs("title"));
        assertTrue(rows(rp, "2").<String>getAs("source_file").endsWith(".parquet"));

        // WARC: an article page with boilerplate, an image response, and a second file that is not a WARC at all.
        Path warc = Files.createDirectories(dir.resolve("warc"));
        String body = article(500, 70);
        String html = "<html><head><title>Site | Acme buys Widget</title><meta property=\"og:title\" content=\"Acme buys Widget\">"
                + "<script>var tracking = 'SCRIPT-TEXT';</script><style>.x{color:red}</style></head><body>"
                + "<nav><a href=\"/\">Home NAV-TEXT</a><a href=\"/world\">World</a></nav>"
                + "<header class=\"site-header\">HEADER-TEXT</header>"
                + "<div class=\"cookie-banner\">We use cookies COOKIE-TEXT</div>"
                + "<article><h1>Acme buys Widget</h1><p>" + body + "</p><p>Second paragraph &amp; more.</p>"
                + "<div class=\"share-buttons\">Share SHARE-TEXT</div></article>"
                + "<aside>Related RELATED-TEXT</aside><footer>Copyright FOOTER-TEXT</footer></body></html>";
        try (WarcWriter w = new WarcWriter(warc.resolve("crawl.warc"))) {
            w.write(new Warcinfo.Builder().fields(Map.of("software", List.of("zerospark-test"))).build());
            w.write(new WarcRequest.Builder(URI.create("https://news.example/acme")).body(new HttpRequest.Builder("GET", "/acme").build()).build());
            w.write(new WarcResponse.Builder(URI.create("https://news.example/acme"))
                    .date(Instant.parse("2024-05-01T10:00:00Z"))
                    .body(new HttpResponse.Builder(200, "OK").body(MediaType.parse("text/html; charset=utf-8"), html.getBytes(StandardCharsets.UTF_8)).build())
                    .build());
            w.write(new WarcResponse.Builder(URI.create("https://news.example/logo.png"))
                    .date(Instant.parse("2024-05-01T10:00:01Z"))
                    .body(new HttpResponse.Builder(200, "OK").body(MediaType.parse("image/png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'}).build())
                    .build());
        }
        Files.writeString(warc.resolve("broken.warc"), "WARC/1.0\r\nthis is not a header block\r\n\r\ngarbage");
        List<Row> rw = ingest(spark, config(warc.toString(), "warc", dir.resolve("out-warc"), 32));
        assertEquals(5, rw.size());
        assertEquals(Map.of("malformed_warc", 1L, "not_html", 1L, "not_an_article", 2L), reasons(rw));
        Row page = rows(rw, "https://news.example/acme");
        assertEquals("Acme buys Widget", page.getAs("title"));
        String text = page.getAs("text");
        assertEquals(body + "\nSecond paragraph & more.", text);
        for (String boiler : List.of("SCRIPT", "NAV", "HEADER", "COOKIE", "SHARE", "RELATED", "FOOTER")) {
            assertFalse(text.contains(boiler + "-TEXT"), boiler + " boilerplate leaked");
        }
        assertEquals("https://news.example/acme", page.getAs("url"));
        assertEquals("2024-05-01T10:00:00Z", page.getAs("published"));

        // The whole job: the warcinfo and request records are counted as skipped, outside input, and written nowhere.
        Path warcOut = dir.resolve("out-warc");
        PrepareResult rj = PrepareJob.run(spark, config(warc.toString(), "warc", warcOut, 32));
        assertEquals(Map.of("warc_request", 1L, "warc_warcinfo", 1L), rj.skipped(), rj.toJson());
        assertEquals(List.of(3L, 1L, 2L), List.of(rj.input(), rj.clean(), rj.quarantined()), rj.toJson());
        assertTrue(rj.reconciles(), rj.toJson());
        assertTrue(rj.toJson().contains("\"skipped\":{\"warc_request\":1,\"warc_warcinfo\":1}"), rj.toJson());
        assertEquals(0L, spark.sql("SELECT count(*) FROM delta.`" + warcOut.resolve("quarantine") + "` WHERE reason = 'not_an_article'").first().getLong(0));
        assertEquals(2L, rows(spark, warcOut, "quarantine"));
        assertEquals(1L, spark.sql("SELECT skipped['warc_request'] FROM delta.`" + warcOut.resolve("stats") + "`").first().getLong(0));
    }

    /** Pages that differ by one token fill one LSH bucket past max_bucket_size: still near duplicates, and counted as a fallback. */
    @Test
    void oversizedLshBucketsAreComparedLinearlyAndCountedInTheStats(@TempDir Path dir) throws Exception {
        SparkSession spark = LocalSpark.session();
        Path txt = Files.createDirectories(dir.resolve("txt"));
        String body = article(900, 120);
        for (int i = 0; i < 4; i++) Files.writeString(txt.resolve("page" + i + ".txt"), "Word" + i + body.substring(3)); // "The" replaced
        Path out = dir.resolve("out");
        PrepareConfig base = config(txt.toString(), "text", out, 32);
        PrepareConfig cfg = new PrepareConfig(base.input(), base.format(), base.tokenizer(), base.output(), base.seqLen(), null, null,
                new PrepareConfig.Dedup(null, null, null, null, null, null, 2), null, null, null, null);
        PrepareResult r = PrepareJob.run(spark, cfg);
        assertEquals(List.of(4L, 1L, 3L), List.of(r.input(), r.clean(), r.nearDuplicates()), r.toJson());
        assertTrue(r.reconciles(), r.toJson());
        assertEquals(Map.of("lsh_bucket_capped", 4L), r.dedupFallbacks(), r.toJson());
        assertTrue(r.toJson().contains("\"dedup_fallbacks\":{\"lsh_bucket_capped\":4}"), r.toJson());
        assertEquals(4L, spark.sql("SELECT dedup_fallbacks['lsh_bucket_capped'] FROM delta.`" + out.resolve("stats") + "`").first().getLong(0));
        assertEquals("page0", spark.read().format("delta").load(out.resolve("articles").toString()).first().getAs("article_id"), "the earliest page is kept");
    }

    /** The whole job against S3 (S3Proxy): input read in byte ranges over s3a, tokenizer shipped from s3a, tables written there. */
    @Test
    void wholeJobOnS3InputTokenizerAndTables() throws Exception {
        SparkSession spark = LocalSpark.session();
        String bucket = LocalSpark.s3().createBucket("prepare-e2e");
        org.apache.hadoop.conf.Configuration hc = spark.sparkContext().hadoopConfiguration();
        StringBuilder jsonl = new StringBuilder();
        int n = 2600;
        for (int i = 0; i < n; i++) jsonl.append(line("s" + i, "Headline " + i, article(1000 + i, 120), "2024-05-01", i % 4 == 0 ? "Riddle " + i + "?" : null)).append('\n');
        jsonl.append(line("s0-copy", "Again", article(1000, 120), "2024-06-01", null)).append('\n');
        byte[] bytes = jsonl.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(bytes.length > 2 << 20, "big enough for three 1 MiB splits: " + bytes.length);
        org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(bucket + "/in/articles.jsonl");
        try (var os = in.getFileSystem(hc).create(in)) {
            os.write(bytes);
        }
        String tok = bucket + "/tokenizers/bpe";
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(tok + "/" + f);
            try (var os = dst.getFileSystem(hc).create(dst)) {
                os.write(Files.readAllBytes(TOKENIZER.resolve(f)));
            }
        }
        String out = bucket + "/prepared";
        PrepareConfig base = PrepareConfig.defaults().with(in.toString(), "jsonl", tok, out, 64);
        // Dedup through Spark jobs here (local_max_records 0); the other tests take the driver path.
        PrepareConfig cfg = new PrepareConfig(base.input(), base.format(), base.tokenizer(), base.output(), base.seqLen(), null, null,
                new PrepareConfig.Dedup(null, null, null, null, null, 0), null, null, null, 1);
        PrepareResult r = PrepareJob.run(spark, cfg);
        assertEquals(n + 1, r.input(), r.toJson());
        assertEquals(1, r.duplicates(), r.toJson());
        assertTrue(r.reconciles(), r.toJson());
        assertEquals(r.clean(), spark.read().format("delta").load(out + "/articles").count());
        assertEquals(r.blocks(), spark.read().format("delta").load(out + "/lm_blocks").count());
        assertEquals(r.sftPairs(), spark.read().format("delta").load(out + "/sft_pairs").count());
        assertTrue(r.sftPairs() >= n / 4 - r.nearDuplicates(), r.toJson());
        // Every line was read once, at its byte offset, although three tasks read the file.
        List<Long> offsets = spark.read().format("delta").load(out + "/articles").select("source_offset").orderBy("source_offset")
                .as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
        assertEquals(0L, offsets.get(0));
        assertEquals(r.clean(), offsets.stream().distinct().count());
        assertTrue(offsets.get(offsets.size() - 1) > 2 << 20, "the last split's lines were read too");
        long tokens = spark.read().format("delta").load(out + "/articles").agg(org.apache.spark.sql.functions.sum("n_tokens")).first().getLong(0);
        assertTrue(r.blocks() * 65 <= tokens && tokens - r.blocks() * 65 < 65L * 2, "packing across the splits drops only each split's last tail");

        // The tables record the tokenizer (created through Delta's catalog on the s3a path), with the exact bytes' sha256.
        String sha = dev.zerospark.tokenizer.TokenizerProvenance.sha256(new java.io.ByteArrayInputStream(Files.readAllBytes(TOKENIZER.resolve("tokenizer.json"))));
        for (String t : PrepareJob.TOKENIZED) {
            assertEquals(java.util.Map.of("zerospark.tokenizer.sha256", sha, "zerospark.tokenizer.uri", tok),
                    tokenizerProperties(DeltaTables.properties(spark, out + "/" + t)), t);
        }

        PrepareResult again = PrepareJob.run(spark, cfg);
        assertEquals(0, again.newArticles(), again.toJson());
        assertEquals(r.clean(), spark.read().format("delta").load(out + "/articles").count());
    }

    private static Map<String, String> tokenizerProperties(Map<String, String> all) {
        Map<String, String> p = new HashMap<>(all);
        p.keySet().removeIf(k -> !k.startsWith("zerospark.tokenizer."));
        return p;
    }

    /** Ingest + clean only (the readers' part of the job), collected. */
    private static List<Row> ingest(SparkSession spark, PrepareConfig cfg) {
        return dev.zerospark.data.clean.CleanStage.read(spark, cfg, "test-run").collectAsList();
    }

    private static Map<String, Long> reasons(List<Row> rows) {
        Map<String, Long> m = new HashMap<>();
        for (Row r : rows) if (r.getAs("reason") != null) m.merge(r.getAs("reason"), 1L, Long::sum);
        return m;
    }

    private static Row rows(List<Row> rows, String articleId) {
        return rows.stream().filter(r -> articleId.equals(r.getAs("article_id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no record " + articleId + " in " + rows));
    }
}
