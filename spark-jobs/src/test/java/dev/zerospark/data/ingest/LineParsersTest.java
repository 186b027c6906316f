package dev.zerospark.data.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.PrepareConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming JSONL reader gives what reading each line as a Jackson tree gives, field for field. */
class LineParsersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrepareConfig.Fields FIELDS = PrepareConfig.Fields.defaults();

    /** The reference: the whole line as a tree, then each configured field's text. */
    private static List<String> tree(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            if (n == null || !n.isObject()) return List.of("malformed_json");
            List<String> out = new ArrayList<>();
            for (String f : List.of(FIELDS.id(), FIELDS.title(), FIELDS.body(), FIELDS.published(), FIELDS.url(), FIELDS.target())) {
                JsonNode v = n.get(f);
                out.add(v == null || v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
            }
            return out;
        } catch (IOException e) {
            return List.of("malformed_json");
        }
    }

    private static List<String> streamed(RawRecord r) {
        if (r.reason != null) return List.of(r.reason);
        return Arrays.asList(r.id, r.title, r.body, r.published, r.url, r.target);
    }

    @Test
    void streamedFieldsEqualTheTreeReadOfEachLine() {
        List<String> lines = new ArrayList<>(List.of(
                "{\"id\": \"a\", \"title\": \"T\", \"body\": \"B \\u00e9\\n\\\"q\\\"\", \"published\": \"2024-01-01\", \"url\": \"u\", \"riddle\": \"r\"}",
                "{\"id\": 42, \"published\": 2024.50, \"body\": 1e3, \"title\": true, \"url\": null, \"riddle\": -0}",
                "{\"body\": {\"nested\": [1, 2.0, {\"x\": null}]}, \"title\": [\"a\", 1], \"extra\": {\"deep\": [[[]]]}}",
                "{\"body\": \"first\", \"body\": \"last wins\"}",
                "{\"body\": \"ok\"} trailing garbage is ignored by a tree read too",
                "{\"id\": \"broken\", \"body\": \"unterminated",
                "{\"id\": \"x\", \"body\": \"no close\"",
                "[1, 2, 3]",
                "\"just a string\"",
                "42",
                "{}",
                "{\"body\": \"emoji \\ud83d\\ude80 and 🚀 raw\", \"skip\": [1, {\"a\": \"}\"}], \"id\": \"after-skip\"}",
                "{\"id\": 12345678901234567890, \"body\": 0.1, \"title\": 1.0E-7}",
                "{'single': 'quotes'}",
                "{\"body\": \"x\",}",
                "nonsense"));
        // Fuzz: cut and splice the lines above at random points.
        Random rnd = new Random(5);
        for (int i = 0; i < 3000; i++) {
            String a = lines.get(rnd.nextInt(16));
            String b = lines.get(rnd.nextInt(16));
            int cut = rnd.nextInt(a.length() + 1);
            String s = a.substring(0, cut) + b.substring(rnd.nextInt(b.length() + 1));
            boolean wholeChars = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s); // no cut surrogate pair
            if (!s.isBlank() && wholeChars) lines.add(s);
        }
        LineParsers parsers = new LineParsers(FIELDS, 1 << 20, 2000);
        StringBuilder file = new StringBuilder();
        for (String l : lines) file.append(l).append('\n');
        byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
        int[] starts = new int[lines.size()];
        int[] ends = new int[lines.size()];
        int at = 0;
        for (int i = 0; i < lines.size(); i++) {
            starts[i] = at;
            at += lines.get(i).getBytes(StandardCharsets.UTF_8).length;
            ends[i] = at;
            at++; // the newline
        }
        List<RawRecord> recs = parsers.jsonl("f.jsonl", new LineRange.Lines(bytes, 0, starts, ends, new boolean[lines.size()], lines.size()));
        assertEquals(lines.size(), recs.size());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(tree(lines.get(i)), streamed(recs.get(i)), "line " + i + ": " + lines.get(i));
            assertEquals(starts[i], recs.get(i).sourceOffset);
            assertEquals(lines.get(i).length() <= 2000 ? lines.get(i) : lines.get(i).substring(0, 2000), recs.get(i).rawPrefix);
        }
    }

    private static List<RawRecord> csv(String text, int maxRecordBytes) throws IOException {
        return list(new LineParsers(FIELDS, maxRecordBytes, 2000).csv("f.csv", new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
    }

    private static List<RawRecord> list(Iterator<RawRecord> records) {
        List<RawRecord> out = new ArrayList<>();
        records.forEachRemaining(out::add);
        return out;
    }

    @Test
    void aStrayQuoteInAnUnquotedFieldQuarantinesThatRecordOnly() throws IOException {
        List<RawRecord> recs = csv("id,title,body\n"
                + "a,One,\"quoted, with a\nnewline and \"\"doubled\"\" quotes\"\n"
                + "b,Two,a 5\" floppy disk\n" // the stray quote
                + "c,Three,plain\n"
                + "d,Four,plain again\r\n"
                + "e,Five,\"quoted\"\n", 1 << 20);
        assertEquals(List.of("a", "malformed_csv", "c", "d", "e"), recs.stream().map(r -> r.reason != null ? r.reason : r.id).toList());
        assertEquals(List.of(2L, 4L, 5L, 6L, 7L), recs.stream().map(r -> r.sourceOffset).toList(), "line numbers after a quoted newline");
        assertEquals("quoted, with a\nnewline and \"doubled\" quotes", recs.get(0).body);
        assertEquals("bad quoting", recs.get(1).detail);
        assertEquals("plain again", recs.get(3).body);
    }

    /** An endless-looking stream: {@code length} bytes of {@code unit} repeated, made as it is read, never held. */
    private static final class Generated extends InputStream {
        private final byte[] unit;
        private final long length;
        long read;

        Generated(String unit, long length) {
            this.unit = unit.getBytes(StandardCharsets.UTF_8);
            this.length = length;
        }

        @Override
        public int read() {
            return read < length ? unit[(int) (read++ % unit.length)] : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (read >= length) return -1;
            int n = (int) Math.min(len, length - read);
            for (int i = 0; i < n; i++) b[off + i] = unit[(int) ((read + i) % unit.length)];
            read += n;
            return n;
        }
    }

    @Test
    void csvRecordsOverTheCapAreQuarantinedFromAStreamAndTheRestStillParse() throws IOException {
        long huge = 64L << 20; // one 64 MiB record, generated as it is read
        InputStream in = new SequenceInputStream(Collections.enumeration(List.of(
                new ByteArrayInputStream("id,title,body\nbefore,T,fine\nhuge,T,".getBytes(StandardCharsets.UTF_8)),
                new Generated("lorem ipsum ", huge),
                new ByteArrayInputStream("\nafter,T,fine\n".getBytes(StandardCharsets.UTF_8)))));
        List<RawRecord> recs = list(new LineParsers(FIELDS, 100_000, 2000).csv("f.csv", in));
        assertEquals(List.of("before", "too_long", "after"), recs.stream().map(r -> r.reason != null ? r.reason : r.id).toList());
        assertEquals(List.of(2L, 3L, 4L), recs.stream().map(r -> r.sourceOffset).toList());
        assertEquals((huge + "huge,T,".length()) + " bytes > max_record_bytes 100000", recs.get(1).detail);
        assertTrue(recs.get(1).rawPrefix.startsWith("huge,T,lorem ipsum"));
    }

    @Test
    void aTextFileOverTheCapIsNotReadWhole() throws IOException {
        Generated in = new Generated("a long line of text ", 64L << 20);
        List<RawRecord> recs = new LineParsers(FIELDS, 1_000_000, 2000).text("dir/big.txt", in);
        assertEquals(1, recs.size());
        assertEquals("too_long", recs.get(0).reason);
        assertTrue(in.read <= 1_000_001 + 65_536, "read " + in.read + " bytes of a 64 MiB file to find it over the cap");

        List<RawRecord> ok = new LineParsers(FIELDS, 1_000_000, 2000).text("dir/small.txt",
                new ByteArrayInputStream("Headline\n\nBody text.\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("small", "Headline", "Body text."), List.of(ok.get(0).id, ok.get(0).title, ok.get(0).body));
    }

    @Test
    void csvRecordsAreReadAsTheyAreAskedFor() {
        // A 1 TiB file (generated as it is read): its first records come after reading one buffer of it.
        Generated in = new Generated("id,title,body\n", 14);
        InputStream rows = new SequenceInputStream(in, new Generated("x,T,a short body\n", 1L << 40));
        Iterator<RawRecord> recs = new LineParsers(FIELDS, 1_000_000, 2000).csv("huge.csv", rows);
        List<RawRecord> first = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
            List<RawRecord> out = new ArrayList<>();
            for (int i = 0; i < 3; i++) out.add(recs.next());
            return out;
        });
        assertEquals(List.of(2L, 3L, 4L), first.stream().map(r -> r.sourceOffset).toList());
        assertEquals("a short body", first.get(2).body);
    }

    @Test
    void deeplyNestedJsonIsMalformedWithinTheParseBudgetNotAStackOverflow() {
        // 1 MB of nesting, in a skipped field and in a kept one: Jackson's nesting budget (1000 levels) rejects both.
        String deep = "[".repeat(500_000) + "]".repeat(500_000);
        List<String> lines = List.of("{\"id\": \"a\", \"extra\": " + deep + ", \"body\": \"b\"}", "{\"id\": \"b\", \"body\": " + deep + "}");
        byte[] bytes = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        int[] starts = {0, lines.get(0).length() + 1};
        int[] ends = {lines.get(0).length(), bytes.length};
        List<RawRecord> recs = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> new LineParsers(FIELDS, 2 << 20, 2000)
                .jsonl("f.jsonl", new LineRange.Lines(bytes, 0, starts, ends, new boolean[2], 2)));
        for (RawRecord r : recs) {
            assertEquals("malformed_json", r.reason);
            assertTrue(r.detail.contains("nesting depth"), r.detail);
        }
    }
}
