package dev.zerospark.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.eval.NothingToScoreException;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TokenNll;
import dev.zerospark.spark.TaskHadoopConf;
import dev.zerospark.training.data.Rows;
import dev.zerospark.training.data.TableFiles;
import dev.zerospark.training.data.TableIndex;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code zerospark eval perplexity --model DIR --data TABLE}: exp(mean token NLL) over one split of an lm_blocks or
 * sft_pairs table, forward passes only. The rows are read as {@code train}'s ranks read them ({@link TableIndex}) and the
 * loss is {@link TokenNll}, the function train's validation uses, so on the same model and rows this prints the
 * validation perplexity train logged.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "exp(mean token NLL) of a local model over a split of an lm_blocks or sft_pairs table (forward passes only).")
public final class EvalPerplexityCommand implements Runnable {
    /** Rows per forward pass: a tiny model's logits for 8 rows of 512 tokens and a 50k vocabulary are 800 MB. */
    private static final int DEFAULT_BATCH = 4;

    @Option(names = "--model", paramLabel = "DIR", required = true, description = "HF model directory (required).") String model;
    @Option(names = "--data", paramLabel = "URI", required = true, description = "lm_blocks or sft_pairs Delta table (required).") String data;
    @Option(names = "--split", paramLabel = "train|validation", defaultValue = "validation", description = "Which rows (default ${DEFAULT-VALUE}).") String split;
    @Option(names = "--table-version", paramLabel = "V", description = "Table version (optional; default the latest).") Long version;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "" + DEFAULT_BATCH, description = "Rows per forward pass (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not under spark-submit (default local[*]).") String master;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The loss over the rows and what it was computed on. */
    record Result(String table, long version, String split, long rows, LossSum loss) {
        double perplexity() {
            return Math.exp(loss.mean());
        }
    }

    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        if (!split.equals("validation") && !split.equals("train")) {
            throw new CommandLine.ParameterException(cl, "--split: '" + split + "' is not train or validation");
        }
        if (batch < 1) throw new CommandLine.ParameterException(cl, "--batch: must be at least 1, got " + batch);
        Path dir = CompleteCommand.modelDir(model);
        SparkSession spark = SparkSessions.getOrCreate("zerospark-eval-perplexity", PrepareCommand.sparkMaster(master), Map.of());
        Result r = compute(spark, dir, data, version, split, batch);
        PrintWriter out = cl.getOut();
        out.println(new ObjectMapper().createObjectNode().put("metric", "perplexity = exp(mean token NLL)")
                .put("perplexity", r.perplexity()).put("mean_nll", r.loss().mean()).put("tokens", r.loss().tokens())
                .put("rows", r.rows()).put("split", r.split()).put("table", r.table()).put("version", r.version())
                .put("model", dir.toString()));
        out.flush();
    }

    /**
     * Scores the split at {@code version} (null: latest) row group by row group, as train's ranks read it: the driver
     * holds the file list, the row-group counts and one decoded row group, never the split.
     */
    static Result compute(SparkSession spark, Path modelDir, String table, Long version, String split, int batch) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        TableIndex index = TableIndex.build(JavaSparkContext.fromSparkContext(spark.sparkContext()),
                TableFiles.resolve(spark, table, version), TaskHadoopConf.forLocations(hadoop, List.of(table)));
        List<TableIndex.Unit> units = index.units(split);
        if (units.isEmpty()) {
            throw new NothingToScoreException("table " + table + " (version " + index.version() + ") has no rows with split = '" + split + "'");
        }
        index.checkSeqLen(null);
        try (NDManager manager = NDManager.newBaseManager(); CausalLm lm = ModelLoader.load(modelDir, manager)) {
            index.checkAgainstModel(lm.config().vocabSize(), lm.config().maxPositions());
            LossSum loss = new LossSum(0, 0);
            long rows = 0;
            for (int u = 0; u < units.size(); u++) {
                Rows r = index.read(split, u, hadoop);
                loss = loss.plus(TokenNll.over(lm, r.ids(), r.masks(), batch));
                rows += r.size();
            }
            if (loss.tokens() == 0) {
                throw new NothingToScoreException("table " + table + " split " + split + ": no token carries loss (every loss_mask is 0)");
            }
            return new Result(table, index.version(), split, rows, loss);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + modelDir.toAbsolutePath() + " or table " + table
                    + " (version " + index.version() + ")", e);
        }
    }
}
