package dev.zerospark.data.clean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.sample.SampleCorpus;
import org.jsoup.Jsoup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code bench clean}: the cleaner's throughput on normal articles next to 1 MB adversarial bodies, each built here:
 * the shapes that were quadratic before (many {@code <} without a {@code >}, many paragraphs under one parent,
 * many blocks deep in the tree, many boilerplate siblings) and, for the WARC path, pages reduced to their main
 * content by {@link HtmlText#extract}. Each row runs once untimed, then for at least the given time, one thread.
 */
public final class CleanBench {
    private CleanBench() {}

    /** One row: what ran, on how many documents and bytes (UTF-8), in how many seconds. */
    public record Row(String name, long docs, long bytes, double seconds) {
        public double mbPerSec() {
            return bytes / 1e6 / seconds;
        }

        public double docsPerSec() {
            return docs / seconds;
        }
    }

    private static final int MB = 1 << 20;

    /** The rows, normal articles first; each runs for at least {@code minSeconds}. */
    public static List<Row> run(int articles, double minSeconds) {
        TextCleaner cleaner = new TextCleaner(PrepareConfig.Clean.defaults());
        List<String> normal = normalBodies(articles);
        List<String> normalHtml = new ArrayList<>(normal.size());
        for (String b : normal) normalHtml.add("<div class=\"story\"><p>" + b.replace("\n\n", "</p><p>") + "</p></div>");
        List<Row> rows = new ArrayList<>();
        rows.add(time("normal articles, plain text", normal, cleaner::clean, minSeconds));
        rows.add(time("normal articles, HTML paragraphs", normalHtml, cleaner::clean, minSeconds));
        rows.add(time("1 MB of words, no markup", List.of(repeat("market prices rose again ")), cleaner::clean, minSeconds));
        rows.add(time("1 MB of '<' without '>'", List.of(repeat("if a<b then ")), cleaner::clean, minSeconds));
        rows.add(time("1 MB of combining marks on one base", List.of("a" + "\u0301\u0316".repeat(MB / 4)), cleaner::clean, minSeconds));
        rows.add(time("1 MB of <p> under one parent", List.of("<div>" + repeat("<p>short paragraph text</p>") + "</div>"), cleaner::clean, minSeconds));
        rows.add(time("1 MB of list items 10 deep", List.of("<div>".repeat(10) + "<ul>" + repeat("<li>item</li>") + "</ul>"), cleaner::clean, minSeconds));
        rows.add(time("1 MB page of <p>, extract (WARC)", List.of("<html><body><div class=\"content\">" + repeat("<p>short paragraph text</p>") + "</div></body></html>"),
                page -> HtmlText.extract(Jsoup.parse(page)), minSeconds));
        rows.add(time("1 MB page of menus and ads, extract", List.of("<html><body><div>" + repeat("<nav>menu</nav><p>kept text</p><div class=\"ad\">buy</div>") + "</div></body></html>"),
                page -> HtmlText.extract(Jsoup.parse(page)), minSeconds));
        return rows;
    }

    private static String repeat(String unit) {
        return unit.repeat(MB / unit.length());
    }

    /** Article bodies of the sample corpus (its normal articles, not its bad records). */
    static List<String> normalBodies(int articles) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            SampleCorpus.write(out, articles, 7);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot generate the sample corpus in memory", e);
        }
        ObjectMapper json = new ObjectMapper();
        List<String> bodies = new ArrayList<>(articles);
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (bodies.size() == articles) break;
            try {
                JsonNode n = json.readTree(line);
                if (n.hasNonNull("body")) bodies.add(n.get("body").asText());
            } catch (IOException e) {
                throw new IllegalStateException("the sample corpus wrote a malformed article line: " + line, e);
            }
        }
        return bodies;
    }

    private static Row time(String name, List<String> docs, Consumer<String> work, double minSeconds) {
        long bytes = 0;
        for (String d : docs) bytes += d.getBytes(StandardCharsets.UTF_8).length;
        for (String d : docs) work.accept(d); // untimed: the JIT's first compile is not the cleaner's throughput
        long passes = 0;
        long t0 = System.nanoTime();
        double seconds;
        do {
            for (String d : docs) work.accept(d);
            passes++;
            seconds = (System.nanoTime() - t0) / 1e9;
        } while (seconds < minSeconds);
        return new Row(name, passes * docs.size(), passes * bytes, seconds);
    }
}
