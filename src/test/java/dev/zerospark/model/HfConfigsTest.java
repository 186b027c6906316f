package dev.zerospark.model;

import dev.zerospark.testing.TestPaths;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class HfConfigsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void parsesFixtureConfigs() throws Exception {
        Gpt2Config g = (Gpt2Config) HfConfigs.read(TestPaths.fixture("tiny-gpt2"));
        assertEquals(1024, g.vocabSize());
        assertEquals(64, g.hiddenSize());
        assertEquals(2, g.numLayers());
        assertEquals(16, g.headDim());
        assertEquals(256, g.innerSize());
        assertTrue(g.tieWordEmbeddings());
        assertEquals(List.of(0), g.eosTokenIds());
        assertEquals(-1, g.padTokenId());

        LlamaConfig l = (LlamaConfig) HfConfigs.read(TestPaths.fixture("tiny-llama"));
        assertEquals(2, l.numKvHeads());
        assertEquals(16, l.headDim());
        assertEquals(172, l.intermediateSize());
        assertEquals(10000.0, l.ropeTheta());
        assertEquals(1e-5, l.rmsNormEps());
        assertFalse(l.tieWordEmbeddings());
        assertEquals(1, l.padTokenId());
    }

    private static ObjectNode llama() {
        ObjectNode j = JSON.createObjectNode();
        j.put("model_type", "llama").put("vocab_size", 100).put("hidden_size", 32).put("intermediate_size", 64)
                .put("num_hidden_layers", 1).put("num_attention_heads", 4);
        return j;
    }

    @Test
    void llamaRopeThetaFromEitherPlace() {
        ObjectNode v4 = llama().put("rope_theta", 500000.0);
        assertEquals(500000.0, ((LlamaConfig) HfConfigs.parse(v4)).ropeTheta());
        ObjectNode v5 = llama();
        v5.putObject("rope_parameters").put("rope_theta", 1234.0).put("rope_type", "default");
        LlamaConfig c = (LlamaConfig) HfConfigs.parse(v5);
        assertEquals(1234.0, c.ropeTheta());
        assertEquals(4, c.numKvHeads(), "kv heads default to attention heads");
        assertEquals(8, c.headDim(), "head_dim defaults to hidden / heads");
        assertEquals(1e-6, c.rmsNormEps());
    }

    @Test
    void missingOrBadKeysNameTheKey() {
        ObjectNode j = llama();
        j.remove("intermediate_size");
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> HfConfigs.parse(j));
        assertEquals("intermediate_size", e.key());
        assertTrue(e.getMessage().contains("\"intermediate_size\""), e.getMessage());

        ObjectNode noType = llama();
        noType.remove("model_type");
        assertEquals("model_type", assertThrows(ModelConfigException.class, () -> HfConfigs.parse(noType)).key());

        ObjectNode unknown = llama().put("model_type", "mamba");
        ModelConfigException u = assertThrows(ModelConfigException.class, () -> HfConfigs.parse(unknown));
        assertTrue(u.getMessage().contains("mamba"), u.getMessage());

        ObjectNode gqa = llama().put("num_key_value_heads", 3);
        assertEquals("num_key_value_heads", assertThrows(ModelConfigException.class, () -> HfConfigs.parse(gqa)).key());

        ObjectNode rope = llama();
        rope.putObject("rope_parameters").put("rope_type", "yarn");
        assertEquals("rope_parameters.rope_type", assertThrows(ModelConfigException.class, () -> HfConfigs.parse(rope)).key());

        ObjectNode gpt = JSON.createObjectNode().put("model_type", "gpt2").put("vocab_size", 10).put("n_embd", 8)
                .put("n_layer", 1).put("n_positions", 16);
        assertEquals("n_head", assertThrows(ModelConfigException.class, () -> HfConfigs.parse(gpt)).key());
    }

    private static ObjectNode gpt2() {
        return JSON.createObjectNode().put("model_type", "gpt2").put("vocab_size", 100).put("n_embd", 32)
                .put("n_layer", 2).put("n_head", 4).put("n_positions", 64);
    }

    private static void rejectsNaming(String key, ObjectNode json, String... inMessage) {
        ModelConfigException e = assertThrows(ModelConfigException.class, () -> HfConfigs.parse(json), key);
        assertEquals(key, e.key(), e.getMessage());
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), e.getMessage());
        }
    }

    @Test
    void absurdValuesAreRejectedNamingTheKey() {
        rejectsNaming("n_layer", gpt2().put("n_layer", Integer.MAX_VALUE), "2147483647");
        rejectsNaming("num_hidden_layers", llama().put("num_hidden_layers", Integer.MAX_VALUE));
        rejectsNaming("vocab_size", gpt2().put("vocab_size", 0));
        rejectsNaming("vocab_size", llama().put("vocab_size", -5));
        rejectsNaming("n_embd", gpt2().put("n_embd", 2.5));
        rejectsNaming("n_layer", gpt2().put("n_layer", "2"));
        rejectsNaming("n_positions", gpt2().put("n_positions", 1L << 40));
        rejectsNaming("n_inner", gpt2().put("n_inner", 0));
        rejectsNaming("n_inner", gpt2().put("n_inner", "wide"));
        rejectsNaming("n_head", gpt2().put("n_head", 5), "not divisible");
        rejectsNaming("num_attention_heads", llama().put("num_attention_heads", 5), "head_dim");
        rejectsNaming("head_dim", llama().put("head_dim", 0));
        rejectsNaming("head_dim", llama().put("head_dim", 7), "odd");
        rejectsNaming("layer_norm_epsilon", gpt2().put("layer_norm_epsilon", -1e-5));
        rejectsNaming("rms_norm_eps", llama().put("rms_norm_eps", 0.0));
        rejectsNaming("rope_theta", llama().put("rope_theta", "1e4"));
        ObjectNode nested = llama();
        nested.putObject("rope_parameters").put("rope_theta", -1.0);
        rejectsNaming("rope_parameters.rope_theta", nested);
        rejectsNaming("tie_word_embeddings", gpt2().put("tie_word_embeddings", "no"));
        rejectsNaming("eos_token_id", gpt2().put("eos_token_id", 100), "[0, vocab_size 100)");
        ObjectNode eosList = gpt2();
        eosList.putArray("eos_token_id").add(1).add(-3);
        rejectsNaming("eos_token_id", eosList);
        rejectsNaming("pad_token_id", llama().put("pad_token_id", 100));
        // each size is plausible alone, but one weight would outgrow a Java array
        rejectsNaming("vocab_size", gpt2().put("vocab_size", 1 << 24).put("n_embd", 1 << 10).put("n_head", 1),
                "more than the");
        rejectsNaming("intermediate_size", llama().put("hidden_size", 1 << 16).put("intermediate_size", 1 << 16)
                .put("vocab_size", 10), "more than the");
        // the conventional "none" values still parse
        assertEquals(-1, HfConfigs.parse(llama().put("pad_token_id", -1)).padTokenId());
        assertEquals(-1, HfConfigs.parse(gpt2().putNull("pad_token_id")).padTokenId());
        assertEquals(7, ((LlamaConfig) HfConfigs.parse(llama().put("head_dim", 8).put("num_attention_heads", 4)
                .put("pad_token_id", 7))).padTokenId());
    }
}
