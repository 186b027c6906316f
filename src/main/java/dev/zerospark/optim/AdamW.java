package dev.zerospark.optim;

/**
 * AdamW on flat float32 segments, with torch.optim.AdamW's single-tensor arithmetic, rounding to float32
 * wherever PyTorch rounds. The same kernel serves the single-process trainer (one segment per parameter)
 * and the ZeRO-sharded optimizer (a rank's slice of the flat buffer), so both give the same bits.
 *
 * <pre>
 * p   = p * (1 - lr * wd)                         (decoupled decay, only where decay applies)
 * m   = lerp(m, g, 1 - beta1)
 * v   = v * beta2 + (1 - beta2) * g * g
 * p   = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 */
public final class AdamW {
    /**
     * Whether the SIMD body ({@link VectorAdamW}) can run: the JVM was started with
     * {@code --add-modules=jdk.incubator.vector} (bin/zerospark and the test JVMs are). Otherwise the scalar loop
     * does all of it, with the same bits, about 7x slower.
     */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("zerospark.adamw.scalar");

    private AdamW() {}

    /**
     * One update of {@code param[offset, offset + length)}.
     *
     * @param step 1-based step count after this update (PyTorch's {@code state['step']})
     * @param lr learning rate for this step
     * @param decay whether weight decay applies to this segment (tensors with two or more dims)
     */
    public static void update(float[] param, float[] grad, float[] expAvg, float[] expAvgSq,
                              int offset, int length, long step, double lr, AdamWConfig config, boolean decay) {
        update(param, offset, grad, offset, expAvg, expAvgSq, offset, length, step, lr, config, decay);
    }

    /**
     * As {@link #update(float[], float[], float[], float[], int, int, long, double, AdamWConfig, boolean)}, but the
     * parameter, gradient and state live at different offsets (a ZeRO shard holds state for its slice only).
     */
    public static void update(float[] param, int paramOffset, float[] grad, int gradOffset,
                              float[] expAvg, float[] expAvgSq, int stateOffset, int length,
                              long step, double lr, AdamWConfig config, boolean decay) {
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step must be >= 1, got " + step);
        }
        // PyTorch computes these scalars in float64 on the host and passes them as float64 scalars.
        double biasCorrection1 = 1.0 - Math.pow(config.beta1(), step);
        double biasCorrection2 = 1.0 - Math.pow(config.beta2(), step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
        float decayFactor = (float) (1.0 - lr * config.weightDecay());
        float lerpWeight = (float) (1.0 - config.beta1());
        float beta2 = (float) config.beta2();
        float oneMinusBeta2 = (float) (1.0 - config.beta2());
        float eps = (float) config.eps();
        float bc2Sqrt = (float) biasCorrection2Sqrt;
        float negStepSize = (float) -stepSize;
        int start = VECTOR ? VectorAdamW.update(param, paramOffset, grad, gradOffset, expAvg, expAvgSq, stateOffset,
                length, decay, decayFactor, lerpWeight, beta2, oneMinusBeta2, eps, bc2Sqrt, negStepSize) : 0;
        for (int i = start; i < length; i++) {
            int pi = paramOffset + i;
            int si = stateOffset + i;
            float g = grad[gradOffset + i];
            float p = param[pi];
            if (decay) {
                p = p * decayFactor;
            }
            float m = expAvg[si];
            // torch.lerp: weight < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight)
            m = lerpWeight < 0.5f ? m + lerpWeight * (g - m) : g - (g - m) * (1f - lerpWeight);
            // mul_(beta2).addcmul_(g, g, value=1 - beta2): addcmul computes self + (value * t1) * t2
            float v = expAvgSq[si] * beta2 + (oneMinusBeta2 * g) * g;
            float denom = (float) Math.sqrt(v) / bc2Sqrt + eps;
            p = p + negStepSize * (m / denom);
            expAvg[si] = m;
            expAvgSq[si] = v;
            param[pi] = p;
        }
    }
}
