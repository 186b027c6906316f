package dev.zerospark.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Llama hyper-parameters ({@code LlamaConfig}); grouped-query attention when numKvHeads < numHeads.
 *
 * @param ropeTheta base of the rotary frequencies; top-level {@code rope_theta} (transformers 4) or
 *                  {@code rope_parameters.rope_theta} (transformers 5)
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, double rmsNormEps, double ropeTheta, int maxPositions,
                          boolean tieWordEmbeddings, List<Integer> eosTokenIds, int padTokenId,
                          ObjectNode raw) implements ModelConfig {
    @Override
    public String modelType() {
        return "llama";
    }
}
