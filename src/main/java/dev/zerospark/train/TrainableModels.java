package dev.zerospark.train;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.Precision;
import dev.zerospark.model.TensorSpec;
import dev.zerospark.safetensors.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Factories for {@link TrainableModel}s. */
public final class TrainableModels {
    /** The most elements the JVM allocates in one array (a few header words below Integer.MAX_VALUE). */
    public static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    private TrainableModels() {}

    /**
     * The length of a flat {@code float[]} of {@code elements} for {@code what}, or a
     * {@link FlatArrayTooLargeException} naming both: the limit that remains where a path keeps a whole model in one
     * Java array.
     */
    public static int flatArrayLength(String what, long elements) {
        if (elements < 0 || elements > MAX_ARRAY_ELEMENTS) {
            throw new FlatArrayTooLargeException(what, elements, MAX_ARRAY_ELEMENTS);
        }
        return (int) elements;
    }

    /** Loads an HF model directory into a trainable model with its own PyTorch manager (closed with the model). */
    public static TrainableModel load(Path hfDir) throws IOException {
        return load(hfDir, ai.djl.Device.cpu());
    }

    /** {@link #load(Path)} with the weights on {@code device} (see {@link TrainDevice}). */
    public static TrainableModel load(Path hfDir, ai.djl.Device device) throws IOException {
        return load(hfDir, device, Precision.FP32);
    }

    /**
     * {@link #load(Path, ai.djl.Device)} training in {@code precision} (fp32 master weights outside, see
     * {@link #wrap(CausalLm, NDManager, boolean, Precision)}).
     */
    public static TrainableModel load(Path hfDir, ai.djl.Device device, Precision precision) throws IOException {
        NDManager root = NDManager.newBaseManager(device, "PyTorch");
        try {
            return wrap(ModelLoader.load(hfDir, root), root, false, precision);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /** Wraps a loaded model; its weights start tracking gradients. {@code owned} (may be null) closes with it. */
    public static DjlTrainableModel wrap(CausalLm model, NDManager owned) {
        return wrap(model, owned, false);
    }

    /**
     * {@link #wrap(CausalLm, NDManager)}, recomputing each transformer block's forward during backward when
     * {@code activationCheckpointing} (train.activation_checkpointing): same losses and gradients, activation memory
     * of one block plus the block inputs instead of every block's.
     */
    public static DjlTrainableModel wrap(CausalLm model, NDManager owned, boolean activationCheckpointing) {
        return wrap(model, owned, activationCheckpointing, Precision.FP32);
    }

    /**
     * {@link #wrap(CausalLm, NDManager, boolean)} with weights, activations and gradients in {@code precision}
     * (train.precision): the model rounds its fp32 weights to it at its first step; its flat accessors stay fp32
     * (gradients widened exactly, weights written rounded to nearest even), so the caller's flat arrays are the fp32
     * master weights and gradients of mixed precision.
     */
    public static DjlTrainableModel wrap(CausalLm model, NDManager owned, boolean activationCheckpointing,
                                         Precision precision) {
        for (TensorSpec s : model.parameters().specs()) {
            model.parameters().get(s.name()).setRequiresGradient(true);
        }
        return new DjlTrainableModel(model, layout(model.parameters().specs()), owned, activationCheckpointing,
                precision);
    }

    /**
     * Splits a flat parameter vector into named tensors (canonical order), e.g. to save a ZeRO-gathered buffer
     * with {@link dev.zerospark.model.HfCheckpointWriter#save(dev.zerospark.model.ModelConfig, Map, Path,
     * dev.zerospark.model.HfCheckpointWriter.Options)}.
     */
    public static Map<String, float[]> unflatten(List<ParamSpec> specs, float[] flat) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (ParamSpec s : specs) {
            float[] w = new float[Math.toIntExact(s.numel())];
            System.arraycopy(flat, Math.toIntExact(s.offset()), w, 0, w.length);
            out.put(s.name(), w);
        }
        return out;
    }

    /**
     * Flat layout: parameters back to back in canonical order; decay for tensors with >= 2 dimensions. Offsets are
     * 64-bit, so any model size is laid out; what holds the flat values (a {@code float[]}, a segmented buffer, the
     * rank's tensors) checks its own capacity.
     */
    public static List<ParamSpec> layout(List<TensorSpec> specs) {
        List<ParamSpec> out = new ArrayList<>();
        long offset = 0;
        for (TensorSpec s : specs) {
            long numel = TensorInfo.numel(s.shape());
            out.add(new ParamSpec(s.name(), s.shape().clone(), offset, numel, s.shape().length >= 2));
            offset = Math.addExact(offset, numel);
        }
        return out;
    }
}
