package dev.zerospark.train;

import ai.djl.ndarray.NDManager;
import dev.zerospark.model.CausalLm;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.model.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Factories for {@link TrainableModel}s. */
public final class TrainableModels {
    private TrainableModels() {}

    /** Loads an HF model directory into a trainable model with its own PyTorch manager (closed with the model). */
    public static TrainableModel load(Path hfDir) throws IOException {
        NDManager root = NDManager.newBaseManager("PyTorch");
        try {
            return wrap(ModelLoader.load(hfDir, root), root);
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
        for (TensorSpec s : model.parameters().specs()) {
            model.parameters().get(s.name()).setRequiresGradient(true);
        }
        return new DjlTrainableModel(model, layout(model.parameters().specs()), owned, activationCheckpointing);
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

    /** Flat layout: parameters back to back in canonical order; decay for tensors with >= 2 dimensions. */
    public static List<ParamSpec> layout(List<TensorSpec> specs) {
        List<ParamSpec> out = new ArrayList<>();
        long offset = 0;
        for (TensorSpec s : specs) {
            out.add(new ParamSpec(s.name(), s.shape().clone(), offset, s.numel(), s.shape().length >= 2));
            offset += s.numel();
        }
        if (offset > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("model has " + offset + " parameters; flat fp32 arrays hold at most "
                    + (Integer.MAX_VALUE - 8));
        }
        return out;
    }
}
