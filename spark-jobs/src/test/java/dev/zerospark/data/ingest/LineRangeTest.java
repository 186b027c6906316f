package dev.zerospark.data.ingest;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Byte-range splits of a line file: every line read by exactly one split, at its true offset. */
class LineRangeTest {
    @Test
    void everyLineIsOwnedByExactlyOneSplitWhateverTheCut(@TempDir Path dir) throws Exception {
        Random rnd = new Random(42);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<Long> offsets = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            offsets.add((long) file.size());
            // Empty lines, one-byte lines, multi-byte UTF-8 and the odd long line.
            int len = rnd.nextInt(10) == 0 ? 0 : rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(200) : 1 + rnd.nextInt(12);
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < len; c++) sb.append(rnd.nextInt(8) == 0 ? "é" : String.valueOf((char) ('a' + rnd.nextInt(26))));
            lines.add(sb.toString());
            file.write((sb + "\n").getBytes(StandardCharsets.UTF_8));
        }
        file.write("no newline at the end".getBytes(StandardCharsets.UTF_8));
        offsets.add((long) file.size() - "no newline at the end".length());
        lines.add("no newline at the end");
        Path f = dir.resolve("lines.jsonl");
        Files.write(f, file.toByteArray());
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(f.toUri());
        long length = Files.size(f);

        for (long target : new long[] {1, 2, 3, 7, 64, 1000, length, length + 1}) {
            List<Long> seenOffsets = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            List<InputSplit> splits = InputSplit.of(f.toString(), length, true, target);
            assertEquals(length, splits.get(splits.size() - 1).end());
            try (FSDataInputStream in = fs.open(hp)) {
                for (InputSplit s : splits) {
                    LineRange.Lines l = LineRange.read(in, s, 1000);
                    for (int i = 0; i < l.count(); i++) {
                        seenOffsets.add(l.firstByteOffset() + l.starts()[i]);
                        seen.add(new String(l.bytes(), l.starts()[i], l.ends()[i] - l.starts()[i], StandardCharsets.UTF_8));
                        assertTrue(!l.truncated()[i]);
                    }
                }
            }
            assertEquals(offsets, seenOffsets, "offsets with splits of " + target + " bytes");
            assertEquals(lines, seen, "lines with splits of " + target + " bytes");
        }

        // A line longer than the record limit is reported truncated, and the next split still finds its own lines.
        try (FSDataInputStream in = fs.open(hp)) {
            List<InputSplit> splits = InputSplit.of(f.toString(), length, true, 16);
            int truncated = 0;
            int total = 0;
            for (InputSplit s : splits) {
                LineRange.Lines l = LineRange.read(in, s, 20);
                total += l.count();
                for (int i = 0; i < l.count(); i++) {
                    if (!l.truncated()[i]) continue;
                    truncated++;
                    int line = offsets.indexOf(l.firstByteOffset() + l.starts()[i]);
                    assertTrue(lines.get(line).getBytes(StandardCharsets.UTF_8).length > 20, "truncated line " + line + " is over the limit");
                }
            }
            assertEquals(lines.size(), total);
            assertTrue(truncated > 0, "some long line ran past its split's read window");
        }
    }
}
