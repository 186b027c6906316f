package dev.zerospark.training.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsLogTest {
    private static StepMetrics step(long s, double loss, double val) {
        return new StepMetrics(s, loss, 1e-3, 0.5, 1000, 0.01, val, Math.exp(val), 0.1, 0.05, 0.02, 0.02, 0.01);
    }

    private static List<Long> steps(Path file) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode n = json.readTree(line);
            for (String k : new String[] {"step", "loss", "lr", "grad_norm", "tokens_per_s"}) assertTrue(n.has(k), k + " in " + line);
            steps.add(n.get("step").asLong());
        }
        return steps;
    }

    @Test
    void writesOneJsonObjectPerStepAndAResumedRunKeepsTheStepsBeforeIt(@TempDir Path dir) throws Exception {
        MetricsLog first = new MetricsLog(dir.toUri().toString(), new Configuration());
        first.resumeAt(0);
        for (int s = 1; s <= 5; s++) first.add(step(s, 5 - s * 0.1, s == 5 ? 4.5 : Double.NaN));
        first.flush();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), steps(dir.resolve("metrics.jsonl")));

        // The run dies after step 5 and resumes from its step-3 checkpoint: steps 4.. are redone, 1..3 are history.
        MetricsLog resumed = new MetricsLog(dir.toUri().toString(), new Configuration());
        resumed.resumeAt(3);
        resumed.add(step(4, 9.0, Double.NaN));
        resumed.add(step(5, 8.0, Double.NaN));
        resumed.flush();
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), steps(dir.resolve("metrics.jsonl")));
        assertEquals(9.0, new ObjectMapper().readTree(lines.get(3)).get("loss").asDouble());
        assertEquals(List.of(4L, 5L), resumed.steps().stream().map(StepMetrics::step).toList());
    }

    @Test
    void flushAppendsInsteadOfRewritingTheFile(@TempDir Path dir) throws Exception {
        MetricsLog log = new MetricsLog(dir.toUri().toString(), new Configuration());
        log.resumeAt(0);
        log.add(step(0, 5, Double.NaN));
        log.flush();
        // Another line lands in the file between flushes; a flush that rewrote the whole file would drop it.
        Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":100}\n", java.nio.file.StandardOpenOption.APPEND);
        log.add(step(1, 4, Double.NaN));
        log.flush();
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), lines.toString());
        assertEquals("{\"step\":100}", lines.get(1));
    }

    @Test
    void aLineTornByACrashIsDroppedOnResume(@TempDir Path dir) throws Exception {
        MetricsLog log = new MetricsLog(dir.toUri().toString(), new Configuration());
        log.resumeAt(0);
        log.add(step(1, 5, Double.NaN));
        log.flush();
        Files.writeString(dir.resolve("metrics.jsonl"), "{\"step\":2,\"lo", java.nio.file.StandardOpenOption.APPEND);
        MetricsLog resumed = new MetricsLog(dir.toUri().toString(), new Configuration());
        resumed.resumeAt(2);
        resumed.add(step(3, 3, Double.NaN));
        resumed.flush();
        assertEquals(List.of(1L, 3L), steps(dir.resolve("metrics.jsonl")));
    }

    @Test
    void plotHasLossValidationAndLearningRateWithLabelledAxes() {
        List<StepMetrics> steps = new ArrayList<>();
        for (int s = 0; s < 30; s++) {
            steps.add(new StepMetrics(s, 4 - s * 0.05, 1e-3 * Math.min(1, (s + 1) / 10.0), 0.5, 1000, 0.01,
                    s % 10 == 9 ? 3.9 - s * 0.04 : Double.NaN, Double.NaN, 0.1, 0.05, 0.02, 0.02, 0.01));
        }
        String html = LossPlot.html("run", steps);
        assertTrue(html.contains("training loss") && html.contains("validation loss"), html);
        assertEquals(3, html.split("<polyline").length - 1, "training loss, validation loss and learning rate");
        assertEquals(2, count(html, ">step</text>"), "each panel labels its x axis");
        assertEquals(1, count(html, ">loss</text>"));
        assertEquals(1, count(html, ">learning rate</text>"));
        for (String tick : new String[] {">0</text>", ">10</text>", ">20</text>", ">2.8</text>", ">4</text>"}) {
            assertTrue(html.contains(tick), "tick " + tick);
        }
        assertTrue(html.contains("steps 0 to 29 (30 logged)"), html);
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void ticksAreRoundAndCoverTheRange() {
        assertEquals(List.of(0.0, 20.0, 40.0, 60.0, 80.0, 100.0), LossPlot.ticks(0, 100));
        assertEquals(List.of(2.6, 2.8, 3.0, 3.2, 3.4), LossPlot.ticks(2.55, 3.45).stream().map(t -> Math.round(t * 10) / 10.0).toList());
        assertEquals(List.of(2e-4, 4e-4, 6e-4, 8e-4, 1e-3), LossPlot.ticks(1e-4, 1e-3).stream().map(t -> Math.round(t * 1e5) / 1e5).toList());
    }

    @Test
    void progressLineShowsTheEssentials() {
        String line = MetricsLog.progressLine(step(10, 2.3456, Double.NaN), 100, 125);
        assertEquals("step 10/100  loss 2.3456  lr 1.00e-03  grad_norm 0.500  tok/s 1000  mfu 1.00%  eta 2m05s", line);
    }
}
