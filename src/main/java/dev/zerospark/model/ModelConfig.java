package dev.zerospark.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Architecture hyper-parameters read from an HF config.json. */
public sealed interface ModelConfig permits Gpt2Config, LlamaConfig {
    /** HF {@code model_type}: "gpt2" or "llama". */
    String modelType();

    int vocabSize();

    int hiddenSize();

    int numLayers();

    int numHeads();

    /** Longest position the model supports (n_positions / max_position_embeddings). */
    int maxPositions();

    boolean tieWordEmbeddings();

    /** End-of-sequence ids (HF allows an int or a list); empty when none. */
    List<Integer> eosTokenIds();

    /** Pad id or -1 when the config has none. */
    int padTokenId();

    /** The original JSON, kept so a saved checkpoint carries every key transformers wrote. */
    ObjectNode raw();
}
