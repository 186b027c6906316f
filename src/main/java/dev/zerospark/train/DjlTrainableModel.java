package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.Parameters;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * {@link TrainableModel} over a DJL {@link CausalLm}. Autograd runs through {@link JniUtils#setGradMode} (PyTorch's
 * thread-local grad mode) and {@link JniUtils#backward} instead of DJL's GradientCollector, which allows only one
 * collector per JVM; several of these models can therefore train concurrently on different threads.
 */
public final class DjlTrainableModel implements TrainableModel {
    private final CausalLm model;
    private final List<ParamSpec> specs;
    private final long numel;
    private final NDManager owned;
    /** Gradient staging buffer, sized for the largest parameter on first use. */
    private float[] scratch;

    /**
     * @param specs flat layout of {@code model}'s parameters (see {@link TrainableModels#layout})
     * @param owned a manager closed together with this model (the model's root), or null
     */
    DjlTrainableModel(CausalLm model, List<ParamSpec> specs, NDManager owned) {
        this.model = model;
        this.specs = List.copyOf(specs);
        this.numel = specs.isEmpty() ? 0 : specs.get(specs.size() - 1).offset() + specs.get(specs.size() - 1).numel();
        this.owned = owned;
    }

    public CausalLm model() {
        return model;
    }

    @Override
    public List<ParamSpec> params() {
        return specs;
    }

    @Override
    public long numel() {
        return numel;
    }

    @Override
    public LossSum forwardBackward(int[][] inputIds, float[][] lossMask, float gradScale, float[] gradOut) {
        if (gradOut.length < numel) {
            throw new IllegalArgumentException("gradOut has length " + gradOut.length + ", shorter than the model's "
                    + numel + " parameters");
        }
        int b = inputIds.length;
        int t = inputIds[0].length;
        if (t < 2) {
            throw new IllegalArgumentException("sequences need at least 2 tokens to predict one, got length " + t);
        }
        Parameters params = model.parameters();
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        // Every array of the graph (inputs, loss mask, backward seed) lives in m, which closes only after backward:
        // autograd reads saved tensors in backward, and arrays DJL creates from Java data view Java buffers.
        try (NDManager m = params.manager().newSubManager()) {
            NDArray ids = m.create(inputIds).toType(ai.djl.ndarray.types.DataType.INT64, false);     // (B, T)
            NDArray pos = m.create(AttentionMasks.positionIds(null, b, t, 0));
            NDArray allowed = AttentionMasks.allowed(m, null, b, t, 0);
            NDArray logits = model.forward(ids, pos, allowed, null);                                 // (B, T, V)
            // No slice of the logits: its backward would zero-fill and copy a (B, T, V) buffer twice (DJL slices
            // every indexed axis). gather reads positions 0..T-2 of the full log-probs since its index may be
            // shorter than the input along the other axes; the last position's log-softmax is wasted (1/T).
            NDArray logp = logits.logSoftmax(2);                                                     // (B, T, V)
            NDArray labels = ids.get(new NDIndex(":, 1:")).expandDims(2);                             // (B, T-1, 1)
            NDArray nll = logp.gather(labels, 2).neg();                                               // (B, T-1, 1)
            if (lossMask != null) {
                NDArray mask = m.create(lossMask).get(new NDIndex(":, 1:")).expandDims(2);             // (B, T-1, 1)
                nll = nll.mul(mask);
            }
            NDArray sum = nll.sum();
            double lossSum = sum.getFloat();
            JniUtils.backward((PtNDArray) sum, (PtNDArray) m.create(gradScale), false, false);
            for (ParamSpec s : specs) {
                NDArray p = params.get(s.name());
                NDArray g = p.getGradient();
                g.attach(m); // with a contiguous copy DJL might make of it, closes with the step
                addGradient(s.name(), g, (int) s.offset(), (int) s.numel(), gradOut);
                JniUtils.zeroGrad((PtNDArray) p);
            }
            return new LossSum(lossSum, TrainableModel.countTargets(inputIds, lossMask));
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /**
     * gradOut[off, off + n) += g, read through a direct view of the gradient's native memory into a scratch array
     * reused across steps: no per-tensor Java arrays (the big ones were G1 humongous allocations every step).
     */
    private void addGradient(String name, NDArray g, int off, int n, float[] gradOut) {
        FloatBuffer view = ((PtNDArray) g).toByteBuffer(true).asFloatBuffer();
        if (view.capacity() != n) {
            throw new IllegalStateException("gradient of " + name + " has " + view.capacity()
                    + " elements, expected " + n);
        }
        if (scratch == null || scratch.length < n) {
            scratch = new float[maxParamNumel()];
        }
        float[] ga = scratch;
        view.get(0, ga, 0, n);
        for (int i = 0; i < n; i++) {
            gradOut[off + i] += ga[i];
        }
    }

    private int maxParamNumel() {
        long max = 0;
        for (ParamSpec s : specs) {
            max = Math.max(max, s.numel());
        }
        return Math.toIntExact(max);
    }

    @Override
    public void readParams(float[] out) {
        check(out.length);
        for (ParamSpec s : specs) {
            model.parameters().read(s.name(), out, (int) s.offset());
        }
    }

    /** Writes into the existing parameter tensors in place (see {@link Parameters#write}). */
    @Override
    public void writeParams(float[] flat) {
        check(flat.length);
        for (ParamSpec s : specs) {
            model.parameters().write(s.name(), flat, (int) s.offset());
        }
    }

    private void check(int length) {
        if (length != numel) {
            throw new IllegalArgumentException("flat parameter array has length " + length + " but the model has "
                    + numel + " parameters");
        }
    }

    @Override
    public void close() {
        model.close();
        if (owned != null) {
            owned.close();
        }
    }
}
