package dev.zerospark.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainConfigTest {
    @Test
    void precisionOtherThanFp32IsAnErrorSayingSo() {
        for (String p : new String[] {"bf16", "fp16"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("train.precision", p)));
            assertEquals("train.precision", e.keyPath());
            assertTrue(e.getMessage().contains("'" + p + "'") && e.getMessage().contains("mixed precision is not implemented"),
                    e.getMessage());
        }
        assertEquals("fp32", ConfigLoader.load(null, Map.of("train.precision", "fp32")).train().precision());
        ConfigException typo = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("train.precision", "fp8")));
        assertTrue(typo.getMessage().contains("must be one of"), typo.getMessage());
    }

    @Test
    void seqLenDefaultsToTheTablesAndIsCheckedWhenSet() {
        assertNull(TrainConfig.defaults().seqLen(), "unset: the training table's block length is used");
        assertEquals(128, ConfigLoader.load(null, Map.of("train.seq_len", 128)).train().seqLen());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("train.seq_len", 0)));
        assertEquals("train.seq_len", e.keyPath());
    }
}
