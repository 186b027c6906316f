package dev.zerospark.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * GPT-2 hyper-parameters ({@code GPT2Config}).
 *
 * @param innerSize MLP width; HF's {@code n_inner}, which defaults to 4 * n_embd
 * @param activation "gelu_new" / "gelu_pytorch_tanh" (tanh approximation) or "gelu" (erf)
 * @param scaleAttnByInverseLayerIdx extra 1/(layer+1) attention scaling, off in released GPT-2
 */
public record Gpt2Config(int vocabSize, int hiddenSize, int numLayers, int numHeads, int maxPositions,
                         int innerSize, double layerNormEps, String activation, boolean scaleAttnWeights,
                         boolean scaleAttnByInverseLayerIdx, boolean tieWordEmbeddings,
                         List<Integer> eosTokenIds, int padTokenId, ObjectNode raw) implements ModelConfig {
    @Override
    public String modelType() {
        return "gpt2";
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }
}
