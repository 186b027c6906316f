package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.data.clean.CleanBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;

/**
 * {@code zerospark bench clean}: the cleaner's MB/s and docs/s on normal articles next to 1 MB adversarial bodies
 * (inputs built in memory, one thread). Hostile input must not be much slower per byte than normal input.
 */
@Command(name = "clean", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Cleaner throughput: normal articles vs 1 MB adversarial bodies.")
public final class BenchCleanCommand implements Runnable {
    @Option(names = "--articles", paramLabel = "N", defaultValue = "5000", description = "Normal articles generated (default ${DEFAULT-VALUE}).") int articles;
    @Option(names = "--seconds", paramLabel = "S", defaultValue = "2", description = "Minimum timed seconds per row (default ${DEFAULT-VALUE}).") double seconds;
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<CleanBench.Row> rows = CleanBench.run(articles, seconds);
        out.printf("%-38s %10s %12s %10s %10s%n", "", "MB/s", "docs/s", "docs", "seconds");
        ObjectMapper m = new ObjectMapper();
        ArrayNode json = m.createArrayNode();
        for (CleanBench.Row r : rows) {
            out.printf("%-38s %10.1f %12.1f %10d %10.1f%n", r.name(), r.mbPerSec(), r.docsPerSec(), r.docs(), r.seconds());
            ObjectNode j = json.addObject();
            j.put("name", r.name()).put("mb_per_s", r.mbPerSec()).put("docs_per_s", r.docsPerSec()).put("docs", r.docs()).put("bytes", r.bytes())
                    .put("seconds", r.seconds());
        }
        out.println(m.createObjectNode().put("articles", articles).set("rows", json));
        out.flush();
    }
}
