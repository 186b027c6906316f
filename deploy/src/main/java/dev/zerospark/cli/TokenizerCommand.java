package dev.zerospark.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigException;
import dev.zerospark.data.tokenize.TokenizerTraining;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.tokenizer.BpeModel;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

@Command(name = "tokenizer", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Train a byte-level BPE tokenizer on your corpus, or encode text with one.",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class})
public final class TokenizerCommand {
    @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Train a byte-level BPE tokenizer from an articles table.")
    static final class Train implements Runnable {
        @Option(names = "--input", required = true, paramLabel = "URI", description = "Articles Delta table (prepare's <output>/articles).") String input;
        @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Vocabulary size, special and byte tokens included (>= 258).") int vocabSize;
        @Option(names = "--output", required = true, paramLabel = "DIR", description = "Folder for tokenizer.json and tokenizer_config.json.") String output;
        @Option(names = "--min-frequency", paramLabel = "N", defaultValue = "2", description = "Least pair count worth a merge (default 2).") int minFrequency;
        @Option(names = "--max-words", paramLabel = "N", defaultValue = "2000000", description = "Most frequent distinct words sent to the driver.") int maxWords;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            if (vocabSize < 258) throw new ConfigException("vocab_size", "--vocab-size must be >= 258 (2 special + 256 byte tokens), got " + vocabSize);
            SparkSession spark = SparkSessions.getOrCreate("zerospark-tokenizer-train", PrepareCommand.sparkMaster(master), Map.of());
            BpeModel m = TokenizerTraining.train(TokenizerTraining.articleTexts(spark, input), vocabSize, minFrequency, maxWords, Paths.get(output));
            PrintWriter out = spec.commandLine().getOut();
            out.println("{\"tokenizer\":" + new ObjectMapper().valueToTree(Paths.get(output).toAbsolutePath().toString())
                    + ",\"vocab_size\":" + m.vocab().size() + ",\"merges\":" + m.merges().size() + "}");
            out.flush();
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Encode stdin lines to JSON arrays of ids.")
    static final class Encode implements Runnable {
        @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "Folder with tokenizer.json.") String tokenizer;
        @Option(names = "--json-lines", description = "Each input line is a JSON string (so texts may hold newlines).") boolean jsonLines;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ObjectMapper json = new ObjectMapper();
            PrintWriter out = spec.commandLine().getOut();
            Path dir = Paths.get(tokenizer);
            try (HfTokenizer tok = HfTokenizer.load(dir);
                 BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                long n = 0;
                while ((line = in.readLine()) != null) {
                    n++;
                    String text = line;
                    if (jsonLines) {
                        JsonNode node;
                        try {
                            node = json.readTree(line);
                        } catch (JsonProcessingException e) {
                            node = null;
                        }
                        if (node == null || !node.isTextual()) {
                            throw new ConfigException("", "stdin line " + n + " is not a JSON string: " + (line.length() > 80 ? line.substring(0, 80) + "..." : line));
                        }
                        text = node.asText();
                    }
                    out.println(json.writeValueAsString(tok.encode(text)));
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read stdin", e);
            }
        }
    }
}
