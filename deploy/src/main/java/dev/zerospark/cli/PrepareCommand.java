package dev.zerospark.cli;

import dev.zerospark.config.ZeroSparkConfig;
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
import java.util.Map;

/** {@code zerospark prepare}: the data pipeline. The last stdout line is the run's counts as one JSON object. */
@Command(name = "prepare", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Ingest, clean, deduplicate, tokenize and pack an article corpus into Delta tables.")
public final class PrepareCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--input", paramLabel = "PATH|GLOB|URI", descriptionKey = "prepare.input") String input;
    @Option(names = "--format", paramLabel = "FORMAT", descriptionKey = "prepare.format") String format;
    @Option(names = "--tokenizer", paramLabel = "DIR", descriptionKey = "prepare.tokenizer") String tokenizer;
    @Option(names = {"--output", "--out"}, paramLabel = "DIR|URI", descriptionKey = "prepare.output") String output;
    @Option(names = "--seq-len", paramLabel = "N", descriptionKey = "prepare.seq_len") Integer seqLen;
    @Option(names = "--id-field", paramLabel = "NAME", descriptionKey = "prepare.fields.id") String idField;
    @Option(names = "--title-field", paramLabel = "NAME", descriptionKey = "prepare.fields.title") String titleField;
    @Option(names = "--body-field", paramLabel = "NAME", descriptionKey = "prepare.fields.body") String bodyField;
    @Option(names = "--target-field", paramLabel = "NAME", descriptionKey = "prepare.fields.target") String targetField;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    PrepareConfig resolve() {
        ZeroSparkConfig c = config.load(spec);
        ConfigOption.requireSet(spec, c, "prepare");
        return c.prepare();
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
