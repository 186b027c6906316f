package dev.zerospark.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.eval.RougeScorer;
import dev.zerospark.eval.RougeScores;
import dev.zerospark.eval.Score;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code zerospark eval rouge --pairs FILE.jsonl}: rouge1, rouge2, rougeL and rougeLsum exactly as Google's rouge-score
 * computes them, one JSON line per pair, then a line of plain means. The whole file is checked before anything is
 * printed, so a bad line leaves stdout empty.
 */
@Command(name = "rouge", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "ROUGE-1/2/L/Lsum per pair as Google's rouge-score computes them, then their means.")
public final class EvalRougeCommand implements Runnable {
    @Option(names = "--pairs", paramLabel = "FILE", required = true,
            description = "JSONL, one {\"id\", \"prediction\", \"reference\"} object per line (required).") Path pairs;
    @Option(names = "--no-stemmer", description = "Score unstemmed tokens (optional; default: NLTK's Porter stemmer on tokens longer than 3 characters, as rouge-score's use_stemmer=True).") boolean noStemmer;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** One input line: its id as written (string or number) and the two texts. */
    record Pair(JsonNode id, String prediction, String reference) {}

    @Override
    public void run() {
        List<Pair> input = readPairs(spec.commandLine(), "--pairs", pairs);
        RougeScorer scorer = RougeScorer.create(!noStemmer);
        ObjectMapper m = new ObjectMapper();
        PrintWriter out = spec.commandLine().getOut();
        List<RougeScores> all = new ArrayList<>(input.size());
        for (Pair p : input) {
            RougeScores s = scorer.score(p.reference(), p.prediction());
            all.add(s);
            ObjectNode line = m.createObjectNode();
            line.set("id", p.id());
            put(line, s);
            out.println(line);
        }
        ObjectNode summary = m.createObjectNode().put("pairs", all.size());
        if (all.isEmpty()) summary.putNull("mean");
        else put(summary.putObject("mean"), RougeScores.mean(all));
        out.println(summary);
        out.flush();
    }

    static void put(ObjectNode into, RougeScores s) {
        for (String type : RougeScores.TYPES) {
            Score x = s.get(type);
            into.putObject(type).put("p", x.p()).put("r", x.r()).put("f", x.f());
        }
    }

    /**
     * Reads a pairs file; blank lines are skipped. A line that is not a JSON object, or lacks a field or has one of the
     * wrong type, is a usage error (exit 2) naming the file, line number and field.
     */
    static List<Pair> readPairs(CommandLine cl, String flag, Path file) {
        ObjectMapper m = new ObjectMapper();
        List<Pair> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int n = 0;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                n++;
                if (line.isBlank()) continue;
                JsonNode j;
                try {
                    j = m.readTree(line);
                } catch (JsonProcessingException e) {
                    throw bad(cl, file, n, "not JSON (" + e.getOriginalMessage() + ")");
                }
                if (j == null || !j.isObject()) throw bad(cl, file, n, "not a JSON object");
                JsonNode id = j.get("id");
                if (id == null || id.isNull() || id.isContainerNode()) throw bad(cl, file, n, "field \"id\" is missing or not a string or number");
                out.add(new Pair(id, text(cl, file, n, j, "prediction"), text(cl, file, n, j, "reference")));
            }
        } catch (NoSuchFileException e) {
            throw new CommandLine.ParameterException(cl, flag + ": no such file " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    private static String text(CommandLine cl, Path file, int line, JsonNode j, String field) {
        JsonNode v = j.get(field);
        if (v == null || !v.isTextual()) {
            throw bad(cl, file, line, "field \"" + field + "\" is " + (v == null ? "missing" : "not a string (" + v.getNodeType().name().toLowerCase() + ")"));
        }
        return v.asText();
    }

    private static CommandLine.ParameterException bad(CommandLine cl, Path file, int line, String what) {
        return new CommandLine.ParameterException(cl, file + " line " + line + ": " + what);
    }
}
