package dev.zerospark.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainConfigTest {
    @Test
    void precisionIsFp32Bf16OrFp16AndFp16ScalingHasDeepSpeedDefaults() {
        for (String p : new String[] {"fp32", "bf16", "fp16"}) {
            assertEquals(p, ConfigLoader.load(null, Map.of("train.precision", p)).train().precision());
        }
        ConfigException typo = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("train.precision", "fp8")));
        assertEquals("train.precision", typo.keyPath());
        assertTrue(typo.getMessage().contains("must be one of"), typo.getMessage());
        Fp16Config d = TrainConfig.defaults().fp16();
        assertTrue(d.dynamic());
        assertEquals(65536.0, d.initialScale());
        assertEquals(1000, d.lossScaleWindow());
        assertEquals(2, d.hysteresis());
        assertEquals(1.0, d.minLossScale());
        Fp16Config fixed = ConfigLoader.load(null, Map.of("train.fp16.loss_scale", 128)).train().fp16();
        assertEquals(128.0, fixed.initialScale());
        assertTrue(!fixed.dynamic());
    }

    @Test
    void badFp16ScalingValuesNameTheirKey() {
        Map<String, Object> bad = Map.of("train.fp16.loss_scale", -1, "train.fp16.initial_scale_power", 65,
                "train.fp16.loss_scale_window", 0, "train.fp16.hysteresis", 0, "train.fp16.min_loss_scale", 0);
        for (Map.Entry<String, Object> e : bad.entrySet()) {
            ConfigException x = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(e.getKey(), e.getValue())));
            assertEquals(e.getKey(), x.keyPath(), x.getMessage());
        }
        ConfigException above = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                Map.of("train.fp16.initial_scale_power", 2, "train.fp16.min_loss_scale", 8)));
        assertEquals("train.fp16.min_loss_scale", above.keyPath());
        assertTrue(above.getMessage().contains("must not exceed the initial scale 2^2"), above.getMessage());
    }

    @Test
    void seqLenDefaultsToTheTablesAndIsCheckedWhenSet() {
        assertNull(TrainConfig.defaults().seqLen(), "unset: the training table's block length is used");
        assertEquals(128, ConfigLoader.load(null, Map.of("train.seq_len", 128)).train().seqLen());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("train.seq_len", 0)));
        assertEquals("train.seq_len", e.keyPath());
    }
}
