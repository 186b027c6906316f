package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.eval.RougeScorer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code zerospark bench rouge}: pairs/s of {@code eval rouge}'s scorer (all four types per pair, one thread), with
 * and without the stemmer, on a pairs file or on generated multi-line pairs. Each row runs one untimed pass first so
 * the JIT has compiled the scorer.
 */
@Command(name = "rouge", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "ROUGE scoring throughput (pairs/s), with and without the stemmer.")
public final class BenchRougeCommand implements Runnable {
    @Option(names = "--pairs", paramLabel = "FILE", description = "JSONL pairs as eval rouge reads them (optional; default: generate --generate pairs).") Path pairs;
    @Option(names = "--generate", paramLabel = "N", defaultValue = "2000", description = "Pairs to generate without --pairs (default ${DEFAULT-VALUE}).") int generate;
    @Option(names = "--seconds", paramLabel = "S", defaultValue = "2", description = "Minimum timed seconds per row (default ${DEFAULT-VALUE}).") double seconds;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** Words with inflections, so the stemmer has work to do and stemming changes the matches. */
    private static final String[] WORDS = ("the company said it agreed to acquire shares of stock in a merger valued at million dollars "
            + "buying bought buys sold selling sales offer offered offering tender holders holding holdings board directors "
            + "approved approval pending regulatory review analysts expected expects quarterly earnings rose rising fell "
            + "falling profits profit net income revenues revenue year 1987 1986 percent pct unit units subsidiary").split(" ");

    @Override
    public void run() {
        if (generate < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--generate must be at least 1, got " + generate);
        if (!(seconds > 0)) throw new CommandLine.ParameterException(spec.commandLine(), "--seconds must be positive, got " + seconds);
        List<EvalRougeCommand.Pair> input = pairs != null ? EvalRougeCommand.readPairs(spec.commandLine(), "--pairs", pairs) : generated(generate);
        if (input.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "--pairs: " + pairs + " holds no pairs");
        long tokens = 0;
        for (EvalRougeCommand.Pair p : input) tokens += p.prediction().split("\\s+").length + p.reference().split("\\s+").length;
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%d pairs (%s), %.1f whitespace-separated words per pair, rouge1/2/L/Lsum each, one thread%n",
                input.size(), pairs != null ? pairs : "generated", (double) tokens / input.size());
        out.printf("%-22s %12s %10s %10s%n", "", "pairs/s", "pairs", "seconds");
        ObjectMapper m = new ObjectMapper();
        ArrayNode rows = m.createArrayNode();
        for (boolean stem : new boolean[]{true, false}) {
            String name = stem ? "with stemmer" : "no stemmer";
            RougeScorer scorer = RougeScorer.create(stem);
            double checksum = pass(scorer, input); // warm-up pass, untimed
            long scored = 0;
            long start = System.nanoTime();
            double elapsed;
            do {
                checksum += pass(scorer, input);
                scored += input.size();
                elapsed = (System.nanoTime() - start) / 1e9;
            } while (elapsed < seconds);
            out.printf("%-22s %12.1f %10d %10.2f%n", name, scored / elapsed, scored, elapsed);
            ObjectNode row = rows.addObject();
            row.put("name", name).put("stemmer", stem).put("pairs", scored).put("seconds", elapsed).put("pairs_per_s", scored / elapsed)
                    .put("mean_rougeLsum_f", checksum / (scored + input.size()));
        }
        ObjectNode j = m.createObjectNode();
        j.set("input_pairs", IntNode.valueOf(input.size()));
        j.set("rows", rows);
        out.println(j);
        out.flush();
    }

    /** Scores every pair once; the summed rougeLsum F keeps the work observable so the JIT cannot drop it. */
    private static double pass(RougeScorer scorer, List<EvalRougeCommand.Pair> input) {
        double sum = 0;
        for (EvalRougeCommand.Pair p : input) sum += scorer.score(p.reference(), p.prediction()).rougeLsum().f();
        return sum;
    }

    /** Deterministic pairs: a 3-5 line reference of 10-30 words a line, and a prediction that drops, swaps and reorders. */
    static List<EvalRougeCommand.Pair> generated(int n) {
        Random rnd = new Random(16);
        List<EvalRougeCommand.Pair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> ref = new ArrayList<>();
            List<String> pred = new ArrayList<>();
            int lines = 3 + rnd.nextInt(3);
            for (int l = 0; l < lines; l++) {
                StringBuilder r = new StringBuilder();
                StringBuilder p = new StringBuilder();
                int words = 10 + rnd.nextInt(21);
                for (int w = 0; w < words; w++) {
                    String word = WORDS[rnd.nextInt(WORDS.length)];
                    r.append(w == 0 ? "" : " ").append(word);
                    double d = rnd.nextDouble();
                    if (d < 0.15) continue; // dropped
                    p.append(p.length() == 0 ? "" : " ").append(d < 0.3 ? WORDS[rnd.nextInt(WORDS.length)] : word);
                }
                ref.add(r.append('.').toString());
                pred.add(p.append('.').toString());
            }
            if (rnd.nextBoolean()) java.util.Collections.swap(pred, 0, pred.size() - 1);
            out.add(new EvalRougeCommand.Pair(IntNode.valueOf(i), String.join("\n", pred), String.join("\n", ref)));
        }
        return out;
    }
}
