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
                boolean matrix = s.shape().length >= 2;
                float constant = s.name().endsWith(".bias") ? 0f : 1f;
                // Piece by piece in element order (the same draws as one array would get): the heap holds one
                // piece, not a tensor (a 32000 x 1536 embedding alone is 196 MiB of fp32).
                params.fill(s.name(), (from, dst, n) -> {
                    if (matrix) {
                        for (int i = 0; i < n; i++) {
                            dst[i] = (float) (rng.nextGaussian() * 0.02);
                        }
                    } else {
                        java.util.Arrays.fill(dst, 0, n, constant);
                    }
                });
            }
        } catch (RuntimeException e) {
            params.close();
            throw e;
        }
        return ModelLoader.create(config, params);
    }
}
