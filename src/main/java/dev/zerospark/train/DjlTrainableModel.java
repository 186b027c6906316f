package dev.zerospark.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.zerospark.model.AttentionMasks;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.GradMode;
import dev.zerospark.model.Parameters;
import dev.zerospark.model.Precision;
import dev.zerospark.model.internal.TokenLossSeed;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * {@link TrainableModel} over a DJL {@link CausalLm}. Autograd runs through {@link GradMode} (PyTorch's
 * thread-local grad mode) and {@link JniUtils#backward} instead of DJL's GradientCollector, which allows only one
 * collector per JVM; several of these models can therefore train concurrently on different threads.
 */
public final class DjlTrainableModel implements TrainableModel {
    private final CausalLm model;
    private final List<ParamSpec> specs;
    private final long numel;
    private final NDManager owned;
    /** Recompute each block's forward in backward instead of keeping its activations ({@link BlockRecompute}). */
    private final boolean activationCheckpointing;
    /** The model's working format (train.precision); the flat fp32 values outside are the master weights. */
    private final Precision precision;
    /** Whether the weights are in {@link #precision} yet: they are cast at the first forwardBackward. */
    private boolean cast;
    /** Gradient staging buffer, sized for the largest parameter on first use. */
    private float[] scratch;
    /**
     * d(loss)/d(logits), (B, T, V), kept across steps in the model's manager (one logits-sized fp32 buffer held
     * between steps): allocating it fresh each step cost about 150 ms of a 700 ms bench step (2 cores, vocab 8192),
     * a (B, T, V) zero-fill plus first-touch page faults.
     */
    private NDArray seed;

    /**
     * @param specs flat layout of {@code model}'s parameters (see {@link TrainableModels#layout})
     * @param owned a manager closed together with this model (the model's root), or null
     * @param activationCheckpointing recompute block activations in backward (train.activation_checkpointing)
     * @param precision the weights' format while training (train.precision)
     */
    DjlTrainableModel(CausalLm model, List<ParamSpec> specs, NDManager owned, boolean activationCheckpointing,
                      Precision precision) {
        this.model = model;
        this.specs = List.copyOf(specs);
        this.numel = specs.isEmpty() ? 0 : specs.get(specs.size() - 1).offset() + specs.get(specs.size() - 1).numel();
        this.owned = owned;
        this.activationCheckpointing = activationCheckpointing;
        this.precision = precision;
        this.cast = precision == Precision.FP32;
    }

    /** The weights' format while training (train.precision). */
    public Precision precision() {
        return precision;
    }

    /**
     * Mixed precision: the weights become their {@link #precision} rounding (round-to-nearest-even) at the first
     * forwardBackward, not at construction, so that {@link #readParams} before training reads the loaded fp32 values,
     * where fp32 master weights start (DeepSpeed's bf16 optimizer copies the fp32 checkpoint, not the rounded
     * weights), and a resume's {@link #writeParams} before the first step lands in fp32 and is rounded with the rest.
     */
    private void castOnce() {
        if (cast) return;
        model.parameters().castTo(precision);
        cast = true;
    }

    public CausalLm model() {
        return model;
    }

    /** Whether backward recomputes each block's forward (train.activation_checkpointing). */
    public boolean activationCheckpointing() {
        return activationCheckpointing;
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
        LossSum loss = forwardBackward(inputIds, lossMask, gradScale);
        try (NDManager m = model.parameters().manager().newSubManager()) {
            for (int i = 0; i < specs.size(); i++) {
                ParamSpec s = specs.get(i);
                addGradient(s.name(), gradient(i, m), (int) s.offset(), (int) s.numel(), gradOut);
            }
        }
        zeroGradients();
        return loss;
    }

    @Override
    public LossSum forwardBackward(int[][] inputIds, float[][] lossMask, float gradScale) {
        int b = inputIds.length;
        int t = inputIds[0].length;
        if (t < 2) {
            throw new IllegalArgumentException("sequences need at least 2 tokens to predict one, got length " + t);
        }
        castOnce();
        Parameters params = model.parameters();
        // Every array of the graph (inputs, loss mask) lives in m, which closes only after backward:
        // autograd reads saved tensors in backward, and arrays DJL creates from Java data view Java buffers.
        // Backward adds into each weight's own .grad, so micro-batches accumulate there (as in PyTorch).
        try (GradMode on = GradMode.on(); NDManager m = params.manager().newSubManager()) {
            NDArray ids = m.create(inputIds).toType(DataType.INT64, false);     // (B, T)
            NDArray pos = m.create(AttentionMasks.positionIds(null, b, t, 0));
            NDArray allowed = AttentionMasks.allowed(m, null, b, t, 0);
            double lossSum;
            if (activationCheckpointing) {
                double[] sum = new double[1];
                BlockRecompute.forwardBackward(model.blocks(ids, pos, allowed), logits -> {
                    sum[0] = lossAndSeed(logits, inputIds, lossMask, gradScale, m);
                    return seedLike(logits, m);
                }, m);
                lossSum = sum[0];
            } else {
                NDArray logits = model.forward(ids, pos, allowed, null);                             // (B, T, V)
                lossSum = lossAndSeed(logits, inputIds, lossMask, gradScale, m);
                JniUtils.backward((PtNDArray) logits, (PtNDArray) seedLike(logits, m), false, false);
            }
            return new LossSum(lossSum, TrainableModel.countTargets(inputIds, lossMask));
        }
    }

    @Override
    public Device device() {
        return model.parameters().manager().getDevice();
    }

    @Override
    public NDArray gradient(int index, NDManager scope) {
        NDArray p = model.parameters().get(specs.get(index).name());
        if (!p.hasGradient()) {
            return null;
        }
        NDArray g = p.getGradient();
        g.attach(scope);
        NDArray flat = g.reshape(-1); // a view: .grad is contiguous
        flat.attach(scope);
        return flat;
    }

    @Override
    public void zeroGradients() {
        for (ParamSpec s : specs) {
            NDArray p = model.parameters().get(s.name());
            if (p.hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
    }

    @Override
    public NDArray weight(int index, NDManager scope) {
        NDArray flat = model.parameters().get(specs.get(index).name()).reshape(-1); // a view: weights are contiguous
        flat.attach(scope);
        return flat;
    }

    /**
     * Copies into the weight tensor itself (a view of it), outside autograd: the leaf keeps its identity. A bf16/fp16
     * weight gets the fp32 master values rounded to nearest even by {@link Precision#fromFloat32} (torch's
     * {@code .to(dtype)}), the one rounding of master weights back to the model.
     */
    @Override
    public void writeWeight(int index, long from, NDArray values) {
        ParamSpec s = specs.get(index);
        long n = values.size();
        if (from < 0 || n > s.numel() - from) {
            throw new IllegalArgumentException("parameter " + s.name() + " has " + s.numel() + " elements, cannot write "
                    + n + " from element " + from);
        }
        try (GradMode off = GradMode.off(); NDManager m = model.parameters().manager().newSubManager()) {
            NDArray flat = weight(index, m);
            NDArray rounded = Precision.of(flat).fromFloat32(values);
            rounded.attach(m);
            flat.set(new NDIndex("{}:{}", from, from + n), rounded);
        }
    }

    @Override
    public LossSum loss(int[][] inputIds, float[][] lossMask) {
        return TokenNll.of(model, inputIds, lossMask);
    }

    /**
     * The loss gradient as backward takes it, in the logits' dtype: {@link #seed} (fp32) itself, or its rounding to
     * bf16/fp16 (a new array in {@code m}), what autograd does to the gradient of {@code logits.float()}.
     */
    private NDArray seedLike(NDArray logits, NDManager m) {
        Precision p = Precision.of(logits);
        if (p == Precision.FP32) return seed;
        try (GradMode off = GradMode.off()) {
            NDArray s = p.fromFloat32(seed);
            s.attach(m);
            return s;
        }
    }

    /**
     * Masked next-token cross-entropy, fused: returns the loss sum and writes its gradient with respect to the logits,
     * gradScale * mask * (softmax - onehot(label)), into {@link #seed}, one sequence at a time without autograd, in
     * one TorchScript call ({@link TokenLossSeed}: the probabilities go straight into the seed).
     * Autograd's log_softmax + gather path materialized four (B, T, V) tensors (log-probs, the gather's zero-filled
     * scatter, the log_softmax gradient, the logits gradient) and made backward about 3x the forward.
     * The last position predicts nothing: its row of the seed gets weight 0 (and a dummy label 0).
     * bf16/fp16 logits are upcast to fp32 row by row first (mixed precision computes the loss and its gradient in
     * fp32; the seed stays fp32 and {@link #seedLike} rounds it for backward).
     */
    private double lossAndSeed(NDArray logits, int[][] inputIds, float[][] lossMask, float gradScale, NDManager m) {
        Shape shape = logits.getShape();
        int b = inputIds.length;
        int t = inputIds[0].length;
        if (seed == null || !seed.getShape().equals(shape)) {
            if (seed != null) {
                seed.close();
            }
            seed = model.parameters().manager().zeros(shape, DataType.FLOAT32, logits.getDevice());
        }
        long[] labels = new long[b * t];
        float[] mask = new float[b * t];
        float[] weight = new float[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t - 1; j++) {
                labels[i * t + j] = inputIds[i][j + 1];
                mask[i * t + j] = lossMask == null ? 1f : lossMask[i][j + 1];
                weight[i * t + j] = mask[i * t + j] * gradScale;
            }
        }
        try (GradMode off = GradMode.off()) {
            NDArray sums = m.zeros(new Shape(b), DataType.FLOAT32, logits.getDevice());
            Shape column = new Shape(b, t, 1);
            TokenLossSeed.run(logits, m.create(labels, column), m.create(mask, column), m.create(weight, column), seed,
                    sums);
            float[] rowSums = sums.toFloatArray();
            double lossSum = 0;
            for (int i = 0; i < b; i++) {
                lossSum -= rowSums[i];
            }
            return lossSum;
        }
    }

    /**
     * gradOut[off, off + n) += g, read through a direct view of the gradient's native memory into a scratch array
     * reused across steps: no per-tensor Java arrays (the big ones were G1 humongous allocations every step).
     */
    private void addGradient(String name, NDArray g, int off, int n, float[] gradOut) {
        if (g == null) {
            return; // no backward reached this parameter: its gradient is zero
        }
        if (g.getDataType() != DataType.FLOAT32) {
            g = g.toType(DataType.FLOAT32, false); // bf16/fp16 gradients widen to fp32 exactly
        }
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
        check(flat.length); // in bf16/fp16: rounded to nearest even by Parameters.writeRounded
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
        if (seed != null) {
            seed.close();
        }
        model.close();
        if (owned != null) {
            owned.close();
        }
    }
}
