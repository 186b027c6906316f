package dev.zerospark.training.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * metrics.jsonl in the run directory (any Hadoop URI), one JSON object per optimizer step. Object stores can't
 * append, so the file is rewritten whole on each flush; it stays small (one line per step).
 */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String runDir;
    private final Configuration conf;
    private final List<StepMetrics> steps = new ArrayList<>();

    public MetricsLog(String runDir, Configuration conf, List<StepMetrics> earlier) {
        this.runDir = runDir.endsWith("/") ? runDir.substring(0, runDir.length() - 1) : runDir;
        this.conf = conf;
        this.steps.addAll(earlier);
    }

    public void add(StepMetrics m) {
        steps.removeIf(s -> s.step() >= m.step()); // a resumed run replaces what it redoes
        steps.add(m);
    }

    public List<StepMetrics> steps() {
        return List.copyOf(steps);
    }

    public String uri() {
        return runDir + "/metrics.jsonl";
    }

    public void flush() {
        StringBuilder sb = new StringBuilder();
        for (StepMetrics m : steps) sb.append(toJson(m)).append('\n');
        Path p = new Path(uri());
        try (FSDataOutputStream out = p.getFileSystem(conf).create(p, true)) {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri(), e);
        }
    }

    static String toJson(StepMetrics m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", m.step());
        o.put("loss", m.loss());
        o.put("lr", m.lr());
        o.put("grad_norm", m.gradNorm());
        o.put("tokens_per_s", m.tokensPerS());
        o.put("mfu", m.mfu());
        if (!Double.isNaN(m.valLoss())) {
            o.put("val_loss", m.valLoss());
            o.put("val_perplexity", m.valPerplexity());
        }
        o.put("step_s", m.stepSeconds());
        o.put("compute_s", m.computeSeconds());
        o.put("comm_s", m.commSeconds());
        o.put("optimizer_s", m.optimizerSeconds());
        o.put("data_s", m.dataSeconds());
        return o.toString();
    }

    /** The console progress line: step/total, loss, lr, grad norm, tokens/s, MFU, ETA. */
    public static String progressLine(StepMetrics m, long totalSteps, double etaSeconds) {
        return String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  grad_norm %.3f  tok/s %.0f  mfu %.2f%%  eta %s",
                m.step() + 1, totalSteps, m.loss(), m.lr(), m.gradNorm(), m.tokensPerS(), 100 * m.mfu(), eta(etaSeconds));
    }

    private static String eta(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
