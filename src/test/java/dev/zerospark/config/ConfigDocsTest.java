package dev.zerospark.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigDocsTest {
    @Test
    void keysAreTheDottedSnakeCaseLeavesWithTheirDocAndRealDefault() {
        ConfigDocs.Key stage = ConfigDocs.key("train.zero.stage");
        assertEquals(2, stage.defaultValue());
        assertTrue(stage.doc().contains("shard gradients"), stage.doc());
        assertEquals(512, ConfigDocs.key("prepare.seq_len").defaultValue());
        assertEquals(120, ConfigDocs.key("train.collective_timeout_s").defaultValue());
        assertEquals("riddle", ConfigDocs.key("prepare.fields.target").defaultValue());
        assertEquals(3e-4, ConfigDocs.key("train.optimizer.lr").defaultValue());
        assertNull(ConfigDocs.key("train.model").defaultValue());
        assertFalse(ConfigDocs.keys().containsKey("train.zero"), "sections are not keys");
        assertFalse(ConfigDocs.keys().containsKey("train"), "sections are not keys");
    }

    @Test
    void everyKeyIsAPathTheLoaderBindsToItsDefault() {
        assertTrue(ConfigDocs.keys().size() > 60, "keys: " + ConfigDocs.keys().keySet());
        JsonNode defaults = ConfigLoader.jsonMapper().valueToTree(ConfigLoader.load(null, Map.of()));
        for (ConfigDocs.Key k : ConfigDocs.keys().values()) {
            if (k.defaultValue() == null) continue;
            // Setting the key to its default through the loader is accepted (the path exists) and changes nothing.
            ZeroSparkConfig c = ConfigLoader.load(null, Map.of(k.path(), k.defaultValue()));
            assertEquals(defaults, ConfigLoader.jsonMapper().valueToTree(c), k.path());
            JsonNode at = defaults.at("/" + k.path().replace('.', '/'));
            assertFalse(at.isMissingNode(), k.path() + " is not in the bound document");
        }
    }

    @Test
    void requiredKeysAreTheOnesTheirDocsMarkRequired() {
        for (String k : new String[] {"prepare.input", "prepare.tokenizer", "prepare.output", "train.data",
                "train.checkpoint_dir", "train.run_dir", "generate.model"}) {
            assertTrue(ConfigDocs.key(k).required(), k);
            assertNull(ConfigDocs.key(k).defaultValue(), k);
        }
        assertFalse(ConfigDocs.key("train.steps").required());
    }

    @Test
    void anUnknownKeyIsAConfigErrorNamingIt() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigDocs.key("train.stepz"));
        assertEquals("train.stepz", e.keyPath());
        assertTrue(e.getMessage().contains("train.stepz"), e.getMessage());
    }
}
