package dev.zerospark.zero.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.zerospark.optim.AdamWConfig;

/**
 * torch.optim.AdamW's single-tensor update as libtorch ops on one parameter piece (flat views of the same length,
 * on one device), rounding to fp32 where PyTorch rounds (with a correctly rounded square root): the same bits as
 * the Java kernel {@code optim.AdamW}.
 *
 * <pre>
 * p = p * (1 - lr * wd)                                  only where decay applies
 * m = lerp(m, g, 1 - beta1)                              torch's two-branch lerp formula
 * v = v * beta2 + ((1 - beta2) * g) * g                  mul_ then addcmul_
 * p = p + (-lr / bc1) * (m / (sqrt(v) / sqrt(bc2) + eps))  addcdiv_, bc1 and bc2 in float64 like torch
 * </pre>
 * Temporaries are attached to the views' manager; callers scope it per piece.
 */
public final class TensorAdamW {
    private TensorAdamW() {}

    /** One update; {@code step} is the 1-based step count after it (PyTorch's {@code state['step']}). */
    public static void update(NDArray p, NDArray g, NDArray m, NDArray v, long step, double lr, AdamWConfig config,
                              boolean decay) {
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step must be >= 1, got " + step);
        }
        double biasCorrection1 = 1.0 - Math.pow(config.beta1(), step);
        double biasCorrection2 = 1.0 - Math.pow(config.beta2(), step);
        float negStepSize = (float) -(lr / biasCorrection1);
        float bc2Sqrt = (float) Math.sqrt(biasCorrection2);
        float lerpWeight = (float) (1.0 - config.beta1());
        if (decay) {
            p.muli((float) (1.0 - lr * config.weightDecay()));
        }
        NDArray d = g.sub(m);                                               // end - self
        if (lerpWeight < 0.5f) {
            m.addi(d.muli(lerpWeight));                                     // self + w * (end - self)
        } else {
            Tensors.copy(m, g.sub(d.muli(1f - lerpWeight)));                // end - (end - self) * (1 - w)
        }
        NDArray t = g.mul((float) (1.0 - config.beta2()));
        v.muli((float) config.beta2()).addi(t.muli(g));
        // libtorch's fp32 sqrt is not correctly rounded on every CPU (about 1 in 6 results 1 ulp off here); the
        // square root in float64 rounded once to fp32 is, as IEEE sqrtf and the Java kernel are.
        NDArray denom = v.toType(DataType.FLOAT64, true).sqrt().toType(DataType.FLOAT32, false)
                .divi(bc2Sqrt).addi((float) config.eps());
        p.addi(m.div(denom).muli(negStepSize));
    }
}
