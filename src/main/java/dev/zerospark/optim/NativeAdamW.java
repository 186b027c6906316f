package dev.zerospark.optim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link AdamW}'s update, fused in one pass, on fp32 values in native memory (direct byte buffers over a CPU
 * tensor's storage, element i at byte 4i in native order): the same expressions and bits as the array kernel, with
 * no copy to or from the Java heap. A chain of separate tensor ops reads and writes the state about fifteen times
 * per step; this reads each element once.
 */
public final class NativeAdamW {
    private NativeAdamW() {}

    /** One update of {@code length} elements; {@code step} is the 1-based step count after it. */
    public static void update(ByteBuffer param, ByteBuffer grad, ByteBuffer expAvg, ByteBuffer expAvgSq, int length,
                              long step, double lr, AdamWConfig config, boolean decay) {
        update(param, grad, expAvg, expAvgSq, length, step, lr, config, decay, 1f, null);
    }

    /**
     * As above, with each gradient multiplied by {@code gradScale} first (the clipping coefficient: the same fp32
     * product a separate in-place multiply would have stored; 1 leaves the gradients as they are), and the new
     * weights written to {@code weightsOut} too when it is not null (the model's own fp32 weights, so the update and
     * the write-back are one pass over the state instead of two).
     */
    public static void update(ByteBuffer param, ByteBuffer grad, ByteBuffer expAvg, ByteBuffer expAvgSq, int length,
                              long step, double lr, AdamWConfig config, boolean decay, float gradScale,
                              ByteBuffer weightsOut) {
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step must be >= 1, got " + step);
        }
        for (ByteBuffer b : new ByteBuffer[] {param, grad, expAvg, expAvgSq, weightsOut}) {
            if (b != null && b.capacity() < 4L * length) {
                throw new IllegalArgumentException("AdamW buffer of " + b.capacity() + " bytes is shorter than "
                        + length + " fp32 elements");
            }
        }
        double biasCorrection1 = 1.0 - Math.pow(config.beta1(), step);
        double biasCorrection2 = 1.0 - Math.pow(config.beta2(), step);
        float decayFactor = (float) (1.0 - lr * config.weightDecay());
        float lerpWeight = (float) (1.0 - config.beta1());
        float beta2 = (float) config.beta2();
        float oneMinusBeta2 = (float) (1.0 - config.beta2());
        float eps = (float) config.eps();
        float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
        float negStepSize = (float) -(lr / biasCorrection1);
        ByteBuffer p = param.duplicate().order(ByteOrder.nativeOrder());
        ByteBuffer gr = grad.duplicate().order(ByteOrder.nativeOrder());
        ByteBuffer ma = expAvg.duplicate().order(ByteOrder.nativeOrder());
        ByteBuffer va = expAvgSq.duplicate().order(ByteOrder.nativeOrder());
        ByteBuffer out = weightsOut == null ? null : weightsOut.duplicate().order(ByteOrder.nativeOrder());
        boolean scaled = gradScale != 1f;
        int start = AdamW.VECTOR ? VectorAdamW.update(p, gr, ma, va, length, decay, decayFactor, lerpWeight, beta2,
                oneMinusBeta2, eps, bc2Sqrt, negStepSize, gradScale, out) : 0;
        for (int i = start; i < length; i++) {
            int at = 4 * i;
            float g = gr.getFloat(at);
            if (scaled) {
                g = g * gradScale;
            }
            float w = p.getFloat(at);
            if (decay) {
                w = w * decayFactor;
            }
            float m = ma.getFloat(at);
            m = lerpWeight < 0.5f ? m + lerpWeight * (g - m) : g - (g - m) * (1f - lerpWeight);
            float v = va.getFloat(at) * beta2 + (oneMinusBeta2 * g) * g;
            float denom = (float) Math.sqrt(v) / bc2Sqrt + eps;
            w = w + negStepSize * (m / denom);
            ma.putFloat(at, m);
            va.putFloat(at, v);
            p.putFloat(at, w);
            if (out != null) {
                out.putFloat(at, w);
            }
        }
    }
}
