package dev.zerospark.training.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CommonPathCapabilities;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * metrics.jsonl in the run directory (any Hadoop URI), one JSON object per optimizer step. A run resumed at step k
 * keeps the lines of steps before k (they are its history) and drops the ones it redoes, once, in
 * {@link #resumeAt}; after that each flush appends the new lines. Stores without append (s3a://) get the file
 * rewritten from the lines held here, since an object can only be replaced whole.
 */
public final class MetricsLog {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String runDir;
    private final Configuration conf;
    private final List<StepMetrics> steps = new ArrayList<>();
    private final StringBuilder pending = new StringBuilder();
    /** Everything in the file, kept only where the store can't append and the file must be written whole. */
    private StringBuilder whole;
    private boolean started;

    public MetricsLog(String runDir, Configuration conf) {
        this.runDir = runDir.endsWith("/") ? runDir.substring(0, runDir.length() - 1) : runDir;
        this.conf = conf;
    }

    /**
     * Starts this attempt's log after step {@code start} (the steps its checkpoint holds): lines of steps up to it
     * stay, lines of later steps (which this attempt redoes) are dropped. Must be called once, before the first {@link #add}.
     */
    public void resumeAt(long start) {
        Path p = new Path(uri());
        try {
            FileSystem fs = fileSystem(p);
            StringBuilder kept = new StringBuilder();
            if (start > 0 && fs.exists(p)) {
                try (InputStream in = fs.open(p)) {
                    for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        if (!line.isBlank() && keep(line, start)) kept.append(line).append('\n');
                    }
                }
            }
            // Written aside and renamed into place: a crash while rewriting must not lose the history before it.
            Path aside = new Path(p.getParent(), p.getName() + ".resume");
            write(fs, aside, kept.toString());
            if (fs.exists(p) && !fs.delete(p, false)) throw new IOException("cannot replace " + p);
            if (!fs.rename(aside, p)) throw new IOException("cannot rename " + aside + " to " + p);
            whole = fs.hasPathCapability(p, CommonPathCapabilities.FS_APPEND) ? null : kept;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri(), e);
        }
        started = true;
    }

    public void add(StepMetrics m) {
        if (!started) throw new IllegalStateException("MetricsLog.resumeAt must be called before add");
        steps.add(m);
        pending.append(toJson(m)).append('\n');
    }

    /** The steps this attempt logged. */
    public List<StepMetrics> steps() {
        return List.copyOf(steps);
    }

    public String uri() {
        return runDir + "/metrics.jsonl";
    }

    /** Appends the lines added since the last flush. */
    public void flush() {
        if (pending.isEmpty()) return;
        Path p = new Path(uri());
        try {
            FileSystem fs = fileSystem(p);
            if (whole == null) {
                try (FSDataOutputStream out = fs.append(p)) {
                    out.write(pending.toString().getBytes(StandardCharsets.UTF_8));
                }
            } else {
                whole.append(pending);
                write(fs, p, whole.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + uri(), e);
        }
        pending.setLength(0);
    }

    /**
     * The filesystem to write through. Hadoop's checksummed local filesystem can't append, so file:// goes to
     * the raw local one (no .crc sidecar, which an append would leave stale).
     */
    private FileSystem fileSystem(Path p) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        if (fs instanceof LocalFileSystem local) {
            local.delete(local.getChecksumFile(p), false); // a .crc from an earlier writer would no longer match
            return local.getRawFileSystem();
        }
        return fs;
    }

    private static void write(FileSystem fs, Path p, String text) throws IOException {
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Whether a line of the existing file is history before {@code start}; a torn or foreign line is dropped. */
    private boolean keep(String line, long start) {
        JsonNode step;
        try {
            step = JSON.readTree(line).get("step");
        } catch (IOException e) { // a line cut short by a crash mid-append
            step = null;
        }
        if (step == null || !step.canConvertToLong()) {
            LOG.warn("dropping a line of {} that holds no step: {}", uri(), line);
            return false;
        }
        return step.asLong() <= start;
    }

    /**
     * Every step in the run directory's metrics.jsonl, earlier attempts' included, in file order: the history the
     * report plots. A torn last line (a crash mid-append) is skipped.
     */
    public static List<StepMetrics> readAll(String runDir, Configuration conf) throws IOException {
        MetricsLog log = new MetricsLog(runDir, conf);
        Path p = new Path(log.uri());
        FileSystem fs = p.getFileSystem(conf);
        List<StepMetrics> out = new ArrayList<>();
        if (!fs.exists(p)) return out;
        try (InputStream in = fs.open(p)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                try {
                    out.add(fromJson(JSON.readTree(line)));
                } catch (IOException | IllegalArgumentException e) {
                    LOG.warn("skipping a line of {} that is not a step: {}", log.uri(), line);
                }
            }
        }
        return out;
    }

    private static StepMetrics fromJson(JsonNode n) {
        if (n == null || !n.hasNonNull("step")) throw new IllegalArgumentException("no step");
        return new StepMetrics(n.get("step").asLong(), num(n, "loss"), num(n, "lr"), num(n, "grad_norm"), num(n, "tokens_per_s"),
                num(n, "mfu"), num(n, "val_loss"), num(n, "val_perplexity"), num(n, "step_s"), num(n, "compute_s"),
                num(n, "comm_s"), num(n, "optimizer_s"), num(n, "data_s"), num(n, "loss_scale"),
                n.path("skipped").asBoolean(false), n.path("skipped_steps").asLong(0));
    }

    private static double num(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || !v.isNumber() ? Double.NaN : v.asDouble();
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
        if (!Double.isNaN(m.lossScale())) { // fp16 only: the scale, whether the step was skipped, skips so far
            o.put("loss_scale", m.lossScale());
            o.put("skipped", m.skipped());
            o.put("skipped_steps", m.skippedSteps());
        }
        return o.toString();
    }

    /** The console progress line: step/total, loss, lr, grad norm, tokens/s, MFU, ETA. */
    public static String progressLine(StepMetrics m, long totalSteps, double etaSeconds) {
        return String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  grad_norm %.3f  tok/s %.0f  mfu %.2f%%  eta %s",
                m.step(), totalSteps, m.loss(), m.lr(), m.gradNorm(), m.tokensPerS(), 100 * m.mfu(), eta(etaSeconds));
    }

    private static String eta(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
