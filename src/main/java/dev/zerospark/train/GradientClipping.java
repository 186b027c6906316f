package dev.zerospark.train;

/**
 * torch.nn.utils.clip_grad_norm_ arithmetic: total = ||g||_2 over all parameters, clip_coef = max_norm /
 * (total + 1e-6) clamped to 1, grads multiplied by the fp32 coefficient.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** Sum of squares of {@code g[from, to)}, accumulated in double (shards add these before the square root). */
    public static double sumOfSquares(float[] g, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (double) g[i] * g[i];
        }
        return s;
    }

    /** The fp32 factor torch multiplies gradients by for a given total norm. */
    public static float coefficient(double totalNorm, double maxNorm) {
        float coef = (float) maxNorm / ((float) totalNorm + 1e-6f);
        return Math.min(coef, 1f);
    }

    /** Multiplies {@code g[from, to)} by {@code coef}; a no-op for coef == 1 (bit-identical to torch's mul by 1). */
    public static void scale(float[] g, int from, int to, float coef) {
        if (coef == 1f) {
            return;
        }
        for (int i = from; i < to; i++) {
            g[i] *= coef;
        }
    }

    /** Clips the whole flat gradient in place and returns the norm before clipping. */
    public static double clipByGlobalNorm(float[] g, double maxNorm) {
        double norm = Math.sqrt(sumOfSquares(g, 0, g.length));
        scale(g, 0, g.length, coefficient(norm, maxNorm));
        return norm;
    }
}
