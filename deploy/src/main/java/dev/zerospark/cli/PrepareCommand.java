package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.NothingUsableException;
import dev.zerospark.data.PrepareJob;
import dev.zerospark.data.ingest.InputFields;
import dev.zerospark.data.PrepareResult;
import dev.zerospark.spark.SparkSessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/** {@code zerospark prepare}: the data pipeline. The last stdout line is the run's counts as one JSON object. */
@Command(name = "prepare", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ingest, clean, deduplicate, tokenize and pack an article corpus into Delta tables.")
public final class PrepareCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--input", paramLabel = "PATH|GLOB|URI", description = "Input files or folder.") String input;
    @Option(names = "--format", description = "jsonl | parquet | csv | text | warc.") String format;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Folder with tokenizer.json (and tokenizer_config.json).") String tokenizer;
    @Option(names = "--output", paramLabel = "DIR|URI", description = "Where the Delta tables go.") String output;
    @Option(names = "--seq-len", paramLabel = "N", description = "Tokens per block; blocks hold N + 1 (default 512).") Integer seqLen;
    @Option(names = "--id-field", paramLabel = "NAME", description = "Input field holding the article id (default id).") String idField;
    @Option(names = "--title-field", paramLabel = "NAME", description = "Input field holding the headline (default title).") String titleField;
    @Option(names = "--body-field", paramLabel = "NAME", description = "Input field holding the article text (default body).") String bodyField;
    @Option(names = "--target-field", paramLabel = "NAME", description = "Input field holding an SFT target such as a riddle (default riddle).") String targetField;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    PrepareConfig resolve() {
        Map<String, Object> o = new HashMap<>();
        o.put("prepare.input", input);
        o.put("prepare.format", format);
        o.put("prepare.tokenizer", tokenizer);
        o.put("prepare.output", output);
        o.put("prepare.seq_len", seqLen);
        o.put("prepare.fields.id", idField);
        o.put("prepare.fields.title", titleField);
        o.put("prepare.fields.body", bodyField);
        o.put("prepare.fields.target", targetField);
        PrepareConfig c = config.load(o).prepare();
        for (Map.Entry<String, String> e : Map.of("input", String.valueOf(c.input()), "tokenizer", String.valueOf(c.tokenizer()),
                "output", String.valueOf(c.output())).entrySet()) {
            if (e.getValue().equals("null")) {
                throw new ConfigException("prepare." + e.getKey(), "prepare." + e.getKey() + " is required (--" + e.getKey() + " or the config file)");
            }
        }
        return c;
    }

    @Override
    public void run() {
        PrepareConfig cfg = resolve();
        SparkSession spark = SparkSessions.getOrCreate("zerospark-prepare", sparkMaster(master), Map.of());
        PrepareResult r = PrepareJob.run(spark, cfg);
        if (r.input() > 0 && r.clean() == 0 && r.quarantined() == r.input()) {
            throw new NothingUsableException(r.input(), r.quarantineReasons(),
                    InputFields.found(spark, cfg, PrepareJob.table(cfg, PrepareJob.QUARANTINE), r.runId()), cfg.fields());
        }
        PrintWriter out = spec.commandLine().getOut();
        printTables(out, cfg);
        out.println(r.toJson());
        out.flush();
    }

    static void printTables(PrintWriter out, PrepareConfig cfg) {
        for (String t : new String[] {PrepareJob.ARTICLES, PrepareJob.QUARANTINE, PrepareJob.LM_BLOCKS, PrepareJob.SFT_PAIRS, PrepareJob.STATS}) {
            out.println("table " + t + ": " + PrepareJob.table(cfg, t));
        }
        out.println("look at them: zerospark table show " + PrepareJob.table(cfg, PrepareJob.QUARANTINE)
                + " --columns reason,detail,source_file --limit 10   (or: zerospark table history <table>)");
    }

    /** spark-submit's master when there is one, else the flag, else all local cores. */
    static String sparkMaster(String flag) {
        if (flag != null) return flag;
        return System.getProperty("spark.master") != null ? null : "local[*]";
    }
}
