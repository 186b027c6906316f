package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * fp16 loss scaling ({@code train.fp16}), as DeepSpeed's {@code fp16} section: read only when {@code train.precision}
 * is fp16. The loss (so every gradient) is multiplied by the scale in backward and the gradients are divided by it
 * before clipping; a step whose gradients overflow (inf/NaN on any rank) is skipped.
 */
public record Fp16Config(
        @JsonPropertyDescription("static loss scale; 0 selects dynamic loss scaling (DeepSpeed fp16.loss_scale, "
                + "default 0)") Double lossScale,
        @JsonPropertyDescription("dynamic loss scaling starts at 2^initial_scale_power (DeepSpeed "
                + "fp16.initial_scale_power, default 16)") Integer initialScalePower,
        @JsonPropertyDescription("dynamic: the scale doubles after this many steps without overflow since the last "
                + "one (DeepSpeed fp16.loss_scale_window, default 1000)") Integer lossScaleWindow,
        @JsonPropertyDescription("dynamic: overflowing steps skipped at one scale before it halves (DeepSpeed "
                + "fp16.hysteresis, default 2)") Integer hysteresis,
        @JsonPropertyDescription("dynamic: the scale never halves below this; an overflow at it fails the run "
                + "(DeepSpeed fp16.min_loss_scale, default 1)") Double minLossScale) {

    /** Largest initial_scale_power: 2^64 is far past fp16's range (65504), any larger only overflows for longer. */
    static final int MAX_SCALE_POWER = 64;

    public Fp16Config {
        lossScale = Check.or(lossScale, 0.0);
        if (!(lossScale >= 0) || Double.isInfinite(lossScale)) {
            throw Check.invalid("loss_scale", "must be 0 (dynamic) or a positive finite scale, got " + lossScale);
        }
        initialScalePower = Check.nonNegative("initial_scale_power", Check.or(initialScalePower, 16));
        if (initialScalePower > MAX_SCALE_POWER) {
            throw Check.invalid("initial_scale_power", "must be <= " + MAX_SCALE_POWER + ", got " + initialScalePower);
        }
        lossScaleWindow = Check.positive("loss_scale_window", Check.or(lossScaleWindow, 1000));
        hysteresis = Check.positive("hysteresis", Check.or(hysteresis, 2));
        minLossScale = Check.positive("min_loss_scale", Check.or(minLossScale, 1.0));
        if (lossScale == 0 && Math.scalb(1.0, initialScalePower) < minLossScale) {
            throw Check.invalid("min_loss_scale", "(" + minLossScale + ") must not exceed the initial scale 2^"
                    + initialScalePower);
        }
    }

    /** Dynamic scaling (loss_scale 0) rather than a fixed scale. */
    public boolean dynamic() {
        return lossScale == 0;
    }

    /** The scale of the first step: 2^initial_scale_power when dynamic, else loss_scale. */
    public double initialScale() {
        return dynamic() ? Math.scalb(1.0, initialScalePower) : lossScale;
    }

    public static Fp16Config defaults() {
        return new Fp16Config(null, null, null, null, null);
    }
}
