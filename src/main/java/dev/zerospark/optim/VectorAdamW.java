package dev.zerospark.optim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The body of {@link AdamW}'s loop in SIMD lanes. Every lane op (add, sub, mul, div, sqrt) is IEEE-754 correctly
 * rounded in float32 and Java never fuses a multiply-add, so each element gets exactly the scalar loop's bits; the
 * scalar loop finishes the tail. Loaded only when the jdk.incubator.vector module is present (see AdamW).
 */
final class VectorAdamW {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorAdamW() {}

    /** Updates the longest whole-vector prefix of the segment; returns its length. Same expressions as AdamW. */
    static int update(float[] param, int paramOffset, float[] grad, int gradOffset, float[] expAvg, float[] expAvgSq,
                      int stateOffset, int length, boolean decay, float decayFactor, float lerpWeight, float beta2,
                      float oneMinusBeta2, float eps, float bc2Sqrt, float negStepSize) {
        int upper = S.loopBound(length);
        boolean lowWeight = lerpWeight < 0.5f;
        float oneMinusWeight = 1f - lerpWeight;
        for (int i = 0; i < upper; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, grad, gradOffset + i);
            FloatVector p = FloatVector.fromArray(S, param, paramOffset + i);
            if (decay) {
                p = p.mul(decayFactor);
            }
            FloatVector m = FloatVector.fromArray(S, expAvg, stateOffset + i);
            m = lowWeight ? m.add(g.sub(m).mul(lerpWeight)) : g.sub(g.sub(m).mul(oneMinusWeight));
            FloatVector v = FloatVector.fromArray(S, expAvgSq, stateOffset + i).mul(beta2)
                    .add(g.mul(oneMinusBeta2).mul(g));
            FloatVector denom = v.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
            p = p.add(m.div(denom).mul(negStepSize));
            m.intoArray(expAvg, stateOffset + i);
            v.intoArray(expAvgSq, stateOffset + i);
            p.intoArray(param, paramOffset + i);
        }
        return upper;
    }

    /**
     * {@link #update} over native-order byte buffers (element i at byte 4i), e.g. a CPU tensor's own memory; each
     * gradient multiplied by {@code gradScale} first unless it is 1, and the new weights also written to
     * {@code weightsOut} unless it is null (see {@link NativeAdamW}).
     */
    static int update(ByteBuffer param, ByteBuffer grad, ByteBuffer expAvg, ByteBuffer expAvgSq, int length,
                      boolean decay, float decayFactor, float lerpWeight, float beta2, float oneMinusBeta2, float eps,
                      float bc2Sqrt, float negStepSize, float gradScale, ByteBuffer weightsOut) {
        boolean scaled = gradScale != 1f;
        int upper = S.loopBound(length);
        boolean lowWeight = lerpWeight < 0.5f;
        float oneMinusWeight = 1f - lerpWeight;
        ByteOrder o = ByteOrder.nativeOrder();
        for (int i = 0; i < upper; i += S.length()) {
            int at = 4 * i;
            FloatVector g = FloatVector.fromByteBuffer(S, grad, at, o);
            if (scaled) {
                g = g.mul(gradScale);
            }
            FloatVector p = FloatVector.fromByteBuffer(S, param, at, o);
            if (decay) {
                p = p.mul(decayFactor);
            }
            FloatVector m = FloatVector.fromByteBuffer(S, expAvg, at, o);
            m = lowWeight ? m.add(g.sub(m).mul(lerpWeight)) : g.sub(g.sub(m).mul(oneMinusWeight));
            FloatVector v = FloatVector.fromByteBuffer(S, expAvgSq, at, o).mul(beta2)
                    .add(g.mul(oneMinusBeta2).mul(g));
            FloatVector denom = v.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
            p = p.add(m.div(denom).mul(negStepSize));
            m.intoByteBuffer(expAvg, at, o);
            v.intoByteBuffer(expAvgSq, at, o);
            p.intoByteBuffer(param, at, o);
            if (weightsOut != null) {
                p.intoByteBuffer(weightsOut, at, o);
            }
        }
        return upper;
    }
}
