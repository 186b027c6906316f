package dev.zerospark.model.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.Precision;

/**
 * Tensor building blocks shared by the architectures. DJL attaches an op's result to the manager of its
 * <em>first</em> operand, so every helper keeps an activation (never a long-lived weight) first: the results
 * then die with the caller's per-step sub-manager instead of piling up in the model's manager.
 * No op here takes a plain Java number: constants come from the model's {@link Scalars} (see there for why).
 */
public final class Ops {

    private Ops() {}

    /** torch.nn.functional.linear: x @ W^T + b with W (out, in); b may be null. */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return JniUtils.linear((PtNDArray) x, (PtNDArray) w, (PtNDArray) b);
    }

    /**
     * HF Conv1D (GPT-2): x @ W + b with W stored (in, out), as linear(x, W^T, b). For (B, T, in) input libtorch 2.7
     * runs it as a matmul and an in-place bias add; flattening to 2-D to get HF's addmm instead gave the same bits and
     * no gain on the CPU (addmm copies the bias into its output before the GEMM, a pass like the add it saves).
     */
    public static NDArray conv1d(NDArray x, NDArray w, NDArray b) {
        NDArray wT = w.transpose(); // (out, in) view of the (in, out) weight
        wT.attach(x.getManager()); // a per-step view: it must not pile up in the weights' manager
        return linear(x, wT, b);
    }

    /** Row lookup table[ids]: ids (B, T) int64, table (V, C) -> (B, T, C). */
    public static NDArray embedding(NDArray ids, NDArray table) {
        return JniUtils.embedding((PtNDArray) ids, (PtNDArray) table, false);
    }

    public static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, double eps) {
        return JniUtils.layerNorm((PtNDArray) x, new Shape(gamma.getShape().get(0)), (PtNDArray) gamma,
                (PtNDArray) beta, eps);
    }

    /** Llama RMSNorm: x / sqrt(mean(x^2) + eps) * weight, computed in fp32 like HF. */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps, Scalars c) {
        Precision p = Precision.of(x);
        if (p != Precision.FP32) { // like HF: normalize in fp32, scale in the weights' dtype
            return p.fromFloat32(rmsNorm(Precision.toFloat32(x), null, eps, c)).mul(weight);
        }
        NDArray variance = x.square().mean(new int[] {x.getShape().dimension() - 1}, true);
        NDArray normed = x.div(variance.add(c.of((float) eps)).sqrt());
        return weight == null ? normed : normed.mul(weight);
    }

    /** GELU, tanh approximation (HF "gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), fused. */
    public static NDArray geluTanh(NDArray x) {
        return TanhGelu.apply(x);
    }

    /** Exact GELU with erf (HF "gelu"). */
    public static NDArray geluErf(NDArray x) {
        return JniUtils.gelu((PtNDArray) x);
    }

    /** SiLU: x * sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(JniUtils.sigmoid((PtNDArray) x));
    }

    /**
     * The additive form of an attention mask, built once per forward and shared by the layers: (B, 1, T, S) fp32,
     * 0 where query t may attend key s ({@code allowed} true), else the most negative finite float (like HF's eager
     * path). Adding it gives the scores a masked fill would: s + 0 = s, and s + -Float.MAX_VALUE rounds to
     * -Float.MAX_VALUE for any score below 2^103 in magnitude. Unlike a per-layer {@code where}, whose forward and
     * backward each passed over the (B, H, T, S) scores, an add needs no backward work.
     */
    public static NDArray maskBias(NDArray allowed, Scalars c) {
        NDArray bias = JniUtils.where((PtNDArray) allowed, (PtNDArray) c.of(0f), (PtNDArray) c.of(-Float.MAX_VALUE));
        bias.attach(allowed.getManager());
        return bias;
    }

    /**
     * Scaled dot-product attention. q (B, H, T, D); k, v (B, H, S, D); maskBias (B, 1, T, S) from {@link #maskBias}.
     * A fully masked row (a left-pad query) softmaxes to a uniform row instead of NaN and gradients stay finite.
     * In bf16 (fp16) the scores are masked and softmaxed in fp32 (bf16 rounds -Float.MAX_VALUE to -inf, and a left-pad
     * row of NaN would poison every row through 0 * NaN in probs @ v), then the probabilities go back to bf16 (fp16),
     * rounded once, as PyTorch's CPU bf16 softmax does; both casts are recorded by autograd ({@link Precision}).
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray maskBias, float scale, Scalars c) {
        if (Precision.of(q) == Precision.FP32) {
            // fp32: libtorch's fused kernel (FusedAttention). A fully masked row softmaxes to uniform there too (every
            // score of it is -Float.MAX_VALUE); its backward takes that row's probabilities as 1 instead of 1/S, which
            // is harmless because a pad query's output never gets a gradient (FusedAttentionTest)
            return FusedAttention.apply(q, k, v, maskBias, c.of(scale));
        }
        NDManager m = q.getManager();
        NDArray kT = k.transpose(0, 1, 3, 2); // (B, H, D, S)
        kT.attach(m);
        // q scaled before the product: a (B, H, T, D) mul instead of a (B, H, T, S) one, forward and backward; for a
        // power-of-two scale (head dim 64: 1/8) the scores are bit-identical to scaling after.
        NDArray scores = q.mul(c.of(scale)).matMul(kT); // (B, H, T, S)
        Precision p = Precision.of(scores);
        NDArray masked = Precision.toFloat32(scores).add(maskBias);
        NDArray probs = masked.softmax(-1); // (B, H, T, S)
        probs = p.fromFloat32(probs);
        return probs.matMul(v); // (B, H, T, D)
    }

    /** (B, T, H*D) -> (B, H, T, D) */
    public static NDArray splitHeads(NDArray x, int heads, int headDim) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headDim).transpose(0, 2, 1, 3);
    }

    /** (B, H, T, D) -> (B, T, H*D) */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }

    /**
     * Grouped-query attention: (B, H_kv, S, D) -> (B, H_kv * nRep, S, D), head h reading kv head h / nRep (HF
     * {@code repeat_kv}). The result is attached to {@code into}, since the input may belong to a long-lived cache.
     */
    public static NDArray repeatKv(NDArray kv, int nRep, NDManager into) {
        if (nRep == 1) {
            return kv;
        }
        NDArray r = kv.repeat(1, nRep);
        r.attach(into);
        return r;
    }

    /** (B, T, C) -> (B, 1, C), the last position, as a view attached to {@code x}'s manager. */
    public static NDArray lastPosition(NDArray x) {
        long t = x.getShape().get(1);
        NDArray last = JniUtils.slice((PtNDArray) x, 1, t - 1, t, 1);
        last.attach(x.getManager());
        return last;
    }

    /**
     * Splits the last axis into {@code parts} equal pieces (torch.chunk), as views from one torch split: its backward
     * is one concatenation, where separate slices each zero-filled an input-sized gradient and added into it.
     */
    public static NDList chunk(NDArray x, int parts) {
        return x.split(parts, x.getShape().dimension() - 1);
    }
}
