package dev.zerospark.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.config.LocalPaths;
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
import java.util.Map;

@Command(name = "tokenizer", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Train a byte-level BPE tokenizer on your corpus, or encode text with one.",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class})
public final class TokenizerCommand {
    @Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Train a byte-level BPE tokenizer from raw input files (with --format, as prepare reads them) or an articles table.")
    static final class Train implements Runnable {
        @Option(names = "--input", required = true, paramLabel = "PATH|GLOB|URI",
                description = "Raw input files (give --format), or an articles Delta table (prepare's <output>/articles); required.") String input;
        @Option(names = "--format", description = "jsonl | parquet | csv | text | warc: read --input as raw files, cleaned as prepare cleans them (optional: without it --input is an articles table).") String format;
        @Option(names = "--body-field", paramLabel = "NAME", descriptionKey = "prepare.fields.body") String bodyField;
        @Option(names = "--title-field", paramLabel = "NAME", descriptionKey = "prepare.fields.title") String titleField;
        @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Vocabulary size, special and byte tokens included (>= 258; required).") int vocabSize;
        @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Folder for tokenizer.json and tokenizer_config.json (required).") String output;
        @Option(names = "--min-frequency", paramLabel = "N", defaultValue = "2", description = "Least pair count worth a merge (default ${DEFAULT-VALUE}).") int minFrequency;
        @Option(names = "--max-words", paramLabel = "N", defaultValue = "2000000", description = "Most frequent distinct words sent to the driver (default ${DEFAULT-VALUE}).") int maxWords;
        @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        /** Raw files when --format is given, else the articles table; anything else is a usage error naming the fix. */
        private org.apache.spark.sql.Dataset<String> texts(SparkSession spark) {
            if (format != null) {
                // --input and --format mean more here than prepare's keys (a table when --format is absent).
                Map<String, Object> o = ConfigOption.flags(spec);
                o.put("prepare.input", input);
                o.put("prepare.format", format);
                return TokenizerTraining.rawTexts(spark, ConfigLoader.load(null, o).prepare());
            }
            if (!io.delta.tables.DeltaTable.isDeltaTable(spark, input)) {
                throw new ConfigException("tokenizer.input", "--input " + input + " is not a Delta table (no _delta_log); for raw files add --format jsonl|parquet|csv|text|warc");
            }
            return TokenizerTraining.articleTexts(spark, input);
        }

        @Override
        public void run() {
            if (vocabSize < 258) throw new ConfigException("vocab_size", "--vocab-size must be >= 258 (2 special + 256 byte tokens), got " + vocabSize);
            SparkSession spark = SparkSessions.getOrCreate("zerospark-tokenizer-train", PrepareCommand.sparkMaster(master), Map.of());
            BpeModel m = TokenizerTraining.train(texts(spark), vocabSize, minFrequency, maxWords, LocalPaths.of(output));
            PrintWriter out = spec.commandLine().getOut();
            out.println("{\"tokenizer\":" + new ObjectMapper().valueToTree(LocalPaths.of(output).toAbsolutePath().toString())
                    + ",\"vocab_size\":" + m.vocab().size() + ",\"merges\":" + m.merges().size() + "}");
            out.flush();
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Encode stdin lines to JSON arrays of ids.")
    static final class Encode implements Runnable {
        @Option(names = "--tokenizer", required = true, paramLabel = "DIR", description = "Folder with tokenizer.json (required).") String tokenizer;
        @Option(names = "--json-lines", description = "Each input line is a JSON string (so texts may hold newlines).") boolean jsonLines;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            ObjectMapper json = new ObjectMapper();
            PrintWriter out = spec.commandLine().getOut();
            Path dir = LocalPaths.of(tokenizer);
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
