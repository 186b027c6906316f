package dev.zerospark.zero;

import dev.zerospark.config.Fp16Config;
import java.io.Serializable;

/**
 * fp16 loss scaling with DeepSpeed's rules ({@code deepspeed.runtime.fp16.loss_scaler}). Dynamic
 * ({@code DynamicLossScaler}): on overflow the step is skipped and, once {@code hysteresis} overflows have been
 * absorbed, the scale halves (not below {@code minScale}); after {@code window} steps without overflow since the last
 * one, it doubles and the hysteresis refills. Static ({@code LossScaler}, DeepSpeed's {@code loss_scale > 0}): the
 * scale never changes, and an overflowing step is still skipped. Not thread-safe; one per rank, and every rank must
 * see the same overflow flags (all-reduce them) so the scales stay equal.
 */
public final class DynamicLossScaler {
    /** train.fp16 as the ranks receive it. */
    public record Settings(double lossScale, int initialScalePower, int window, int hysteresis, double minScale)
            implements Serializable {
        public static Settings of(Fp16Config c) {
            return new Settings(c.lossScale(), c.initialScalePower(), c.lossScaleWindow(), c.hysteresis(),
                    c.minLossScale());
        }

        /** A scaler in its initial state: dynamic from 2^initialScalePower when lossScale is 0, else fixed. */
        public DynamicLossScaler create() {
            return lossScale == 0
                    ? new DynamicLossScaler(Math.scalb(1.0, initialScalePower), window, hysteresis, minScale)
                    : fixed(lossScale);
        }
    }

    /**
     * What a checkpoint keeps of a scaler so that a resumed run scales, skips and grows exactly as an uninterrupted
     * one (DeepSpeed's cur_scale, cur_hysteresis, cur_iter and last_overflow_iter): the growth window counts
     * {@code iteration - lastOverflowIteration}, so both are kept, not just the scale.
     *
     * @param lastOverflowIteration the iteration of the last overflow, -1 before the first
     */
    public record State(double scale, int hysteresisLeft, long iteration, long lastOverflowIteration) {
        public State {
            if (!(scale > 0) || Double.isInfinite(scale) || hysteresisLeft < 1 || iteration < 0
                    || lastOverflowIteration < -1 || lastOverflowIteration >= iteration) {
                throw new IllegalArgumentException("loss scaler state needs a finite scale > 0, hysteresis_left >= 1"
                        + " and -1 <= last_overflow_iteration < iteration, got " + scale + ", " + hysteresisLeft
                        + ", " + lastOverflowIteration + " and " + iteration);
            }
        }
    }

    private final boolean dynamic;
    private final double minScale;
    private final int window;
    private final int hysteresis;
    private final double factor;
    private double scale;
    private int hysteresisLeft;
    private long iteration;
    private long lastOverflowIteration = -1;

    public DynamicLossScaler(double initialScale, int window, int hysteresis, double minScale) {
        this(true, initialScale, window, hysteresis, minScale);
    }

    private DynamicLossScaler(boolean dynamic, double initialScale, int window, int hysteresis, double minScale) {
        if (!(initialScale > 0) || !(minScale > 0) || initialScale < minScale) {
            throw new IllegalArgumentException("loss scale must satisfy 0 < min " + minScale + " <= initial "
                    + initialScale);
        }
        if (window < 1 || hysteresis < 1) {
            throw new IllegalArgumentException("loss scale window and hysteresis must be >= 1, got " + window
                    + " and " + hysteresis);
        }
        this.dynamic = dynamic;
        this.scale = initialScale;
        this.window = window;
        this.hysteresis = hysteresis;
        this.hysteresisLeft = hysteresis;
        this.minScale = minScale;
        this.factor = 2.0;
    }

    /** DeepSpeed defaults: initial scale 2^16, window 1000, hysteresis 2, minimum 1. */
    public static DynamicLossScaler deepSpeedDefaults() {
        return new DynamicLossScaler(65536.0, 1000, 2, 1.0);
    }

    /** A static scale (DeepSpeed {@code fp16.loss_scale > 0}): overflowing steps are skipped, the scale stays. */
    public static DynamicLossScaler fixed(double scale) {
        return new DynamicLossScaler(false, scale, 1, 1, scale);
    }

    /** The factor the loss (and so every gradient) is multiplied by in the backward pass of this step. */
    public double scale() {
        return scale;
    }

    /** Overflows still absorbed at the current scale before it halves (DeepSpeed's cur_hysteresis). */
    public int hysteresisLeft() {
        return hysteresisLeft;
    }

    /** The state a checkpoint records. */
    public State state() {
        return new State(scale, hysteresisLeft, iteration, lastOverflowIteration);
    }

    /**
     * Continues from a checkpoint's state. A static scaler keeps its configured scale (the config says it) and takes
     * only the iteration count.
     */
    public void restore(State s) {
        iteration = s.iteration();
        lastOverflowIteration = s.lastOverflowIteration();
        if (dynamic) {
            scale = s.scale();
            hysteresisLeft = s.hysteresisLeft();
        }
    }

    /**
     * Records the outcome of a step; returns whether the optimizer should apply it ({@code !overflow}).
     *
     * @throws LossScaleUnderflowException on overflow when the scale is already at its minimum
     */
    public boolean update(boolean overflow) {
        if (!dynamic) {
            iteration++;
            return !overflow;
        }
        if (overflow) {
            if (hysteresis == 1 || hysteresisLeft == 1) {
                if (scale == minScale) {
                    throw new LossScaleUnderflowException("gradients overflow at the minimum loss scale " + minScale
                            + " (iteration " + iteration + ")");
                }
                scale = Math.max(scale / factor, minScale);
            } else {
                hysteresisLeft--;
            }
            lastOverflowIteration = iteration;
        } else if ((iteration - lastOverflowIteration) % window == 0) {
            hysteresisLeft = hysteresis;
            scale *= factor;
        }
        iteration++;
        return !overflow;
    }

    /** True if any value is NaN or infinite. */
    public static boolean hasOverflow(float[] values, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (!Float.isFinite(values[i])) {
                return true;
            }
        }
        return false;
    }
}
