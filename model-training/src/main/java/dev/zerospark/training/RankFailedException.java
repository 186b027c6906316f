package dev.zerospark.training;

import dev.zerospark.config.ConfigException;
import org.apache.spark.SparkException;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rank's failure, classified where it happened. Spark aborts a failed barrier stage with an exception that
 * carries the task's failure only as text, so the class travels in the message too and the driver reads it
 * back from there when the cause itself did not survive.
 */
public final class RankFailedException extends RuntimeException {
    private static final Pattern TAG = Pattern.compile("rank (\\d+) failed \\[(RETRYABLE|CONFIG|BUG)]");
    private final FailureClass failureClass;

    private RankFailedException(int rank, FailureClass failureClass, Throwable cause) {
        super("rank " + rank + " failed [" + failureClass + "]: " + cause, cause);
        this.failureClass = failureClass;
    }

    public static RankFailedException of(int rank, Throwable cause) {
        return new RankFailedException(rank, FailureClass.of(cause), cause);
    }

    public FailureClass failureClass() {
        return failureClass;
    }

    /**
     * The class of a failed training stage, on the driver: a rank's own classification when one is found (as an
     * exception or in the text Spark kept of it); else, for a Spark failure naming no rank's exception (a lost
     * executor, a killed task), {@link FailureClass#RETRYABLE}; anything else went wrong on the driver: a bug.
     */
    public static FailureClass classOf(Throwable stageFailure) {
        boolean spark = false;
        for (Throwable t = stageFailure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof RankFailedException r) return r.failureClass;
            Matcher m = t.getMessage() == null ? null : TAG.matcher(t.getMessage());
            if (m != null && m.find()) return FailureClass.valueOf(m.group(2));
            spark |= t instanceof SparkException;
        }
        return spark ? FailureClass.RETRYABLE : FailureClass.BUG;
    }

    /** The class a rank's failure text carries ("rank N failed [CONFIG]: ..."), if it carries one. */
    static Optional<FailureClass> tagIn(String text) {
        if (text == null) return Optional.empty();
        Matcher m = TAG.matcher(text);
        return m.find() ? Optional.of(FailureClass.valueOf(m.group(2))) : Optional.empty();
    }

    /** The exception to stop with when a failure can't pass: a config error keeps its key (exit code 2). */
    static RuntimeException stopWith(FailureClass failureClass, Throwable stageFailure) {
        Optional<ConfigException> config = find(stageFailure, ConfigException.class);
        if (config.isPresent()) return config.get();
        if (failureClass == FailureClass.CONFIG) {
            return new ConfigException("", "training stopped without a restart: " + firstLine(stageFailure), stageFailure);
        }
        return TrainingFailedException.notRestartable(stageFailure);
    }

    private static <T extends Throwable> Optional<T> find(Throwable t, Class<T> type) {
        for (; t != null && t.getCause() != t; t = t.getCause()) {
            if (type.isInstance(t)) return Optional.of(type.cast(t));
        }
        return Optional.empty();
    }

    /** The rank's failure line out of a Spark message that carries a whole stack trace. */
    static String firstLine(Throwable t) {
        String msg = String.valueOf(t.getMessage());
        Matcher m = TAG.matcher(msg);
        int from = m.find() ? m.start() : 0;
        int end = msg.indexOf('\n', from);
        return end < 0 ? msg.substring(from) : msg.substring(from, end);
    }
}
