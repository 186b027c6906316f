package dev.zerospark.data.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.PrepareConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
