package dev.zerospark.model;

import ai.djl.ndarray.NDManager;
import java.util.Random;

/**
 * Fresh weights for a config, HF-style: Normal(0, 0.02) for matrices and embeddings, ones for norm weights,
 * zeros for biases. Used for benchmarks and from-scratch runs.
 */
public final class RandomInit {
    private RandomInit() {}

    public static CausalLm create(ModelConfig config, NDManager parent, long seed) {
        Random rng = new Random(seed);
        Parameters params = new Parameters(parent.newSubManager(), ModelLoader.specs(config));
        try {
            for (TensorSpec s : params.specs()) {
                float[] v = new float[Math.toIntExact(s.numel())];
                if (s.shape().length >= 2) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (rng.nextGaussian() * 0.02);
                    }
                } else if (!s.name().endsWith(".bias")) {
                    java.util.Arrays.fill(v, 1f);
                }
                params.set(s.name(), v);
            }
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        return ModelLoader.create(config, params);
    }
}
