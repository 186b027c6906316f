package dev.zerospark.cli;

import dev.zerospark.testing.LocalSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README command 1, small: every step runs, and the demo ends with three next commands that the CLI accepts. */
class DemoCommandTest {
    @TempDir Path tmp;

    @Test
    void demoTrainsExportsAndEndsWithThreeRunnableNextSteps() throws Exception {
        LocalSpark.session();
        CliRun r = CliRun.of("demo", "--work-dir", tmp.toString(), "--articles", "80", "--train-steps", "6", "--seq-len", "32");
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("model/config.json")), r.out());
        assertTrue(r.out().contains("riddles for "), r.out());
        long riddles = r.out().lines().filter(l -> l.startsWith("  ") && l.contains(" -> ")).count();
        long rows = LocalSpark.session().read().format("delta").load(tmp.resolve("tables/riddles").toString()).where("finish_reason != 'error'").count();
        assertTrue(rows > 0, "the riddles table has rows");
        assertEquals(Math.min(3, rows), riddles, "three riddles printed (title -> riddle):\n" + r.out());
        List<String> lines = r.out().strip().lines().toList();
        int at = lines.indexOf("next steps:");
        assertEquals(lines.size() - 4, at, "the demo ends with the next steps:\n" + r.out());
        for (String line : lines.subList(at + 1, lines.size())) {
            List<String> argv = split(line.strip());
            assertEquals("deploy/bin/zerospark", argv.get(0), line);
            CommandLine cl = ZeroSpark.commandLine();
            cl.parseArgs(argv.subList(1, argv.size()).toArray(String[]::new)); // throws on an unknown flag or bad value
        }
        assertTrue(lines.get(at + 2).contains("complete --model " + tmp.resolve("model")), lines.get(at + 2));
    }

    /** Shell words: spaces split, double quotes group. */
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
        while (m.find()) out.add(m.group(1) != null ? m.group(1) : m.group(2));
        return out;
    }
}
