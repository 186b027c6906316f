package dev.zerospark.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.Parameters;
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
            NDArray logp = logits.get(new NDIndex(":, 0:{}", t - 1)).logSoftmax(2);                  // (B, T-1, V)
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
                try (NDArray g = p.getGradient()) {
                    float[] ga = g.toFloatArray();
                    int off = (int) s.offset();
                    for (int i = 0; i < ga.length; i++) {
                        gradOut[off + i] += ga[i];
                    }
                }
                JniUtils.zeroGrad((PtNDArray) p);
            }
            return new LossSum(lossSum, TrainableModel.countTargets(inputIds, lossMask));
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    @Override
    public void readParams(float[] out) {
        check(out.length);
        for (ParamSpec s : specs) {
            float[] w = model.parameters().read(s.name());
            System.arraycopy(w, 0, out, (int) s.offset(), w.length);
        }
    }

    @Override
    public void writeParams(float[] flat) {
        check(flat.length);
        for (ParamSpec s : specs) {
            float[] w = new float[(int) s.numel()];
            System.arraycopy(flat, (int) s.offset(), w, 0, w.length);
            model.parameters().set(s.name(), w);
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
