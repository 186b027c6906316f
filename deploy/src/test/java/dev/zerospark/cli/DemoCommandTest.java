package dev.zerospark.cli;

import dev.zerospark.data.generate.internal.ModelFiles;
import dev.zerospark.testing.LocalSpark;
import java.net.ConnectException;
import java.net.Socket;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README command 1, small: every step runs, the four riddle pipelines are compared (eval_results, report.html, the
 * printed table), serve is stopped and leaves nothing behind, and the demo ends with three next commands the CLI accepts.
 */
class DemoCommandTest {
    @TempDir Path tmp;

    @Test
    void demoTrainsComparesTheFourPipelinesAndEndsWithThreeRunnableNextSteps() throws Exception {
        SparkSession spark = LocalSpark.session();
        SparkContext sc = spark.sparkContext();
        int filesBefore = sc.listFiles().size();
        CliRun r = CliRun.of("demo", "--work-dir", tmp.toString(), "--articles", "80", "--train-steps", "6", "--seq-len", "32");
        assertEquals(0, r.code(), r.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("model/config.json")), r.out());
        assertTrue(Files.isRegularFile(tmp.resolve("base-model/config.json")), r.out());

        // four pipelines into one generations table, the fine-tuned one's riddles printed
        String fine = ModelFiles.modelId(tmp.resolve("model").toString(), new Configuration());
        String base = ModelFiles.modelId(tmp.resolve("base-model").toString(), new Configuration());
        String service = "service:127.0.0.1/" + DemoComparison.SERVED_MODEL;
        Set<List<String>> expected = Set.of(List.of("few-shot", base), List.of("instruct", base), List.of("instruct", service), List.of("riddle", fine));
        Dataset<Row> gen = spark.read().format("delta").load(tmp.resolve("tables/riddles").toString());
        assertEquals(expected, keys(gen.select("pipeline", "model_id").distinct()), "one generations table, four pipelines");
        long perPipeline = gen.where("model_id = '" + fine + "'").count();
        assertTrue(perPipeline > 0, "validation articles with a reference were generated for");
        assertEquals(4 * perPipeline, gen.count(), "every pipeline over the same articles");
        assertEquals(perPipeline, gen.where("pipeline = 'few-shot' AND prompt LIKE '%[Summary Riddle 1]:%'").count(),
                "every few-shot prompt shows an example");
        long riddles = r.out().lines().filter(l -> l.startsWith("  ") && l.contains(" -> ")).count();
        long fineRows = gen.where("model_id = '" + fine + "' AND finish_reason != 'error'").count();
        assertEquals(Math.min(3, fineRows), riddles, "three riddles printed (title -> riddle):\n" + r.out());

        // compared: eval_results and report.html name all four; the table is printed
        Dataset<Row> results = spark.read().format("delta").load(tmp.resolve("tables/eval_results").toString());
        assertEquals(expected, keys(results.select("pipeline", "model_id").distinct()), "eval_results holds the four pipelines");
        assertEquals(Set.of(base, fine), results.where("metric = 'perplexity'").select("model_id").as(Encoders.STRING()).collectAsList()
                .stream().collect(Collectors.toSet()), "perplexity for the local models only:\n" + r.out());
        Path report = tmp.resolve("report/report.html");
        assertTrue(Files.isRegularFile(report), r.out());
        String html = Files.readString(report);
        for (String name : List.of("few-shot", "instruct", "riddle", service, fine, base)) assertTrue(html.contains(name), "report.html names " + name);
        assertTrue(r.out().contains("report: " + report), r.out());
        for (String label : List.of("few-shot (base model)", "instruct (base model)", "service (serve, instruct)", "fine-tuned (riddle)")) {
            assertEquals(2, r.out().lines().filter(l -> l.startsWith(label) || l.startsWith("  " + label)).count(),
                    "a generate line and a comparison row for " + label + ":\n" + r.out());
        }

        // serve is stopped, its key left the Spark conf, nothing was added to the shared SparkContext
        Matcher port = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/v1").matcher(r.out());
        assertTrue(port.find(), r.out());
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", Integer.parseInt(port.group(1))).close(), "serve was stopped");
        assertFalse(sc.getConf().contains(DemoComparison.KEY_CONF), "the API key's conf entry is removed");
        assertEquals(filesBefore, sc.listFiles().size(), "no file added to the shared SparkContext");
        assertFalse(Pattern.compile("zs-demo-[0-9a-f]{8}").matcher(r.toString()).find(), "the API key is never printed");

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

    private static Set<List<String>> keys(Dataset<Row> pairs) {
        return pairs.collectAsList().stream().map(x -> List.of(x.getString(0), x.getString(1))).collect(Collectors.toSet());
    }

    /** Shell words: spaces split, double quotes group. */
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(line);
        while (m.find()) out.add(m.group(1) != null ? m.group(1) : m.group(2));
        return out;
    }
}
