package dev.zerospark.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.eval.NothingToScoreException;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.spark.SparkSessions;
import dev.zerospark.train.LossSum;
import dev.zerospark.train.TokenNll;
import dev.zerospark.training.data.TrainingTable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code zerospark eval perplexity --model DIR --data TABLE}: exp(mean token NLL) over one split of an lm_blocks or
 * sft_pairs table, forward passes only. The rows are read as {@code train} reads them ({@link TrainingTable}) and the
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
    record Result(String table, long version, String split, int rows, LossSum loss) {
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

    /** Reads the split at {@code version} (null: latest) and sums the model's token NLL over it. */
    static Result compute(SparkSession spark, Path modelDir, String table, Long version, String split, int batch) {
        TrainingTable t = TrainingTable.read(spark, table, version);
        boolean validation = split.equals("validation");
        int[][] rows = validation ? t.validation() : t.train();
        float[][] masks = validation ? t.validationMask() : t.trainMask();
        if (rows.length == 0) {
            throw new NothingToScoreException("table " + table + " (version " + t.version() + ") has no rows with split = '" + split + "'");
        }
        t.checkSeqLen(null);
        try (NDManager manager = NDManager.newBaseManager(); CausalLm lm = ModelLoader.load(modelDir, manager)) {
            t.checkAgainstModel(lm.config().vocabSize(), lm.config().maxPositions());
            LossSum loss = TokenNll.over(lm, rows, masks, batch);
            if (loss.tokens() == 0) {
                throw new NothingToScoreException("table " + table + " split " + split + ": no token carries loss (every loss_mask is 0)");
            }
            return new Result(table, t.version(), split, rows.length, loss);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load model from " + modelDir.toAbsolutePath(), e);
        }
    }
}
