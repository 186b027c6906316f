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
}
