package dev.zerospark.config;

import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeepSpeedConfigTest {

    private static Path dir() throws IOException {
        return Files.createTempDirectory("zs-ds");
    }

    @Test
    void exampleMapsOntoTrainConfig() {
        TrainConfig t = ConfigLoader.load(TestPaths.repoRoot().resolve("conf/train-deepspeed.yaml").toString(), Map.of()).train();
        assertEquals(4, t.microBatchSize());
        assertEquals(2, t.gradAccum());
        assertEquals(16, t.globalBatchSize());
        assertEquals(2, t.zero().stage());
        assertEquals(50_000_000L, t.zero().reduceBucketSize());
        assertEquals(3e-4, t.optimizer().lr());
        assertEquals(3e-5, t.optimizer().minLr(), 1e-12);
        assertEquals(10, t.optimizer().warmupSteps());
        assertEquals("cosine", t.optimizer().schedule());
        assertEquals(200, t.steps());
        assertEquals(1.0, t.optimizer().gradientClipping());
    }

    @Test
    void flagsWinOverTheDeepSpeedFile() {
        TrainConfig t = ConfigLoader.load(TestPaths.repoRoot().resolve("conf/train-deepspeed.yaml").toString(),
                Map.of("train.zero.stage", 1, "train.steps", 300)).train();
        assertEquals(1, t.zero().stage());
        assertEquals(300, t.steps());
    }

    @Test
    void batchArithmeticErrorExplainsTheRule() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"train_batch_size\": 10, \"train_micro_batch_size_per_gpu\": 4, \"gradient_accumulation_steps\": 1}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  world_size: 2\n  deepspeed_config: ds.json\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertTrue(e.getMessage().contains("train_batch_size = micro × accumulation × world size"), e.getMessage());
        assertTrue(e.getMessage().contains("10 != 4 × 1 × 2"), e.getMessage());
    }

    @Test
    void missingAccumulationIsDerived() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"train_batch_size\": 24, \"train_micro_batch_size_per_gpu\": 3}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  world_size: 4\n  deepspeed_config: ds.json\n");
        assertEquals(2, ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().gradAccum());
    }

    @Test
    void unknownDeepSpeedKeyIsNamed() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"zero_optimization\": {\"stage\": 2, \"offload_param\": {\"device\": \"cpu\"}}}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  deepspeed_config: ds.json\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertEquals("zero_optimization.offload_param", e.keyPath());
    }

    @Test
    void unsupportedOptimizerAndSchedulerAreRefused() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"optimizer\": {\"type\": \"Lamb\", \"params\": {\"lr\": 0.001}}}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  deepspeed_config: ds.json\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertTrue(e.getMessage().contains("Lamb"), e.getMessage());

        Files.writeString(d.resolve("ds.json"), "{\"scheduler\": {\"type\": \"OneCycle\", \"params\": {}}}");
        ConfigException e2 = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertTrue(e2.getMessage().contains("OneCycle"), e2.getMessage());
    }

    @Test
    void bf16AndFp16SectionsSetPrecisionAndLossScaling() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("t.yaml"), "train:\n  deepspeed_config: ds.json\n");
        Files.writeString(d.resolve("ds.json"), "{\"fp16\": {\"enabled\": true, \"loss_scale\": 0, \"initial_scale_power\": 12,"
                + " \"loss_scale_window\": 500, \"hysteresis\": 1, \"min_loss_scale\": 4}}");
        TrainConfig t = ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train();
        assertEquals("fp16", t.precision());
        assertEquals(new Fp16Config(0.0, 12, 500, 1, 4.0), t.fp16());
        assertEquals(4096.0, t.fp16().initialScale());
        Files.writeString(d.resolve("ds.json"), "{\"fp16\": {\"enabled\": true, \"loss_scale\": 256.0}}");
        assertEquals(256.0, ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().fp16().initialScale());
        // a DeepSpeed value zerospark cannot honour is an error naming the key it lands on
        Files.writeString(d.resolve("ds.json"), "{\"fp16\": {\"enabled\": true, \"hysteresis\": 0}}");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertEquals("train.fp16.hysteresis", e.keyPath());
        Files.writeString(d.resolve("ds.json"), "{\"bf16\": {\"enabled\": true}}");
        assertEquals("bf16", ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().precision());
        Files.writeString(d.resolve("ds.json"), "{\"bf16\": {\"enabled\": false}}");
        assertEquals("fp32", ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().precision());
        Files.writeString(d.resolve("ds.json"), "{\"bf16\": {\"enabled\": true}, \"fp16\": {\"enabled\": true}}");
        ConfigException both = assertThrows(ConfigException.class, () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertEquals("fp16.enabled", both.keyPath());
    }

    @Test
    void speedOnlyKeysThatAskForSomethingElseAreReportedNotDropped() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"zero_optimization\": {\"stage\": 2, \"overlap_comm\": true,"
                + " \"contiguous_gradients\": false}, \"steps_per_print\": 5, \"wall_clock_breakdown\": false}");
        var ignored = DeepSpeedConfig.read(d.resolve("ds.json").toString()).ignoredSettings("ds.json");
        assertEquals(4, ignored.size(), ignored.toString());
        assertTrue(ignored.get(0).startsWith("zero_optimization.overlap_comm=true in ds.json has no effect"), ignored.get(0));
        assertTrue(ignored.get(1).startsWith("zero_optimization.contiguous_gradients=false"), ignored.get(1));
        assertTrue(ignored.get(2).startsWith("steps_per_print=5"), ignored.get(2));
        assertTrue(ignored.get(3).startsWith("wall_clock_breakdown=false"), ignored.get(3));
        // what zerospark does anyway is not worth a warning
        Files.writeString(d.resolve("ds.json"), "{\"zero_optimization\": {\"overlap_comm\": false,"
                + " \"contiguous_gradients\": true}, \"wall_clock_breakdown\": true}");
        assertEquals(java.util.List.of(), DeepSpeedConfig.read(d.resolve("ds.json").toString()).ignoredSettings("ds.json"));
    }

    @Test
    void communicationDataTypeMapsAndIsChecked() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"communication_data_type\": \"bfloat16\"}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  deepspeed_config: ds.json\n");
        assertEquals("bf16", ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().zero().communicationDataType());
        assertEquals("fp32", ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of("train.zero.communication_data_type", "fp32"))
                .train().zero().communicationDataType(), "flags win");
        Files.writeString(d.resolve("ds.json"), "{\"communication_data_type\": \"int8\"}");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertTrue(e.getMessage().contains("communication_data_type") && e.getMessage().contains("int8"), e.getMessage());
    }

    @Test
    void offloadOptimizerDeviceMapsAndIsChecked() throws IOException {
        Path d = dir();
        Files.writeString(d.resolve("ds.json"), "{\"zero_optimization\": {\"offload_optimizer\": {\"device\": \"cpu\","
                + " \"pin_memory\": true}}}");
        Files.writeString(d.resolve("t.yaml"), "train:\n  deepspeed_config: ds.json\n");
        assertEquals("cpu", ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()).train().zero().offloadOptimizer());
        assertEquals("none", ConfigLoader.load(null, Map.of()).train().zero().offloadOptimizer(), "default");
        assertTrue(DeepSpeedConfig.read(d.resolve("ds.json").toString()).ignoredSettings("ds.json").get(0)
                .startsWith("zero_optimization.offload_optimizer.pin_memory=true"));
        Files.writeString(d.resolve("ds.json"), "{\"zero_optimization\": {\"offload_optimizer\": {\"device\": \"nvme\"}}}");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.load(d.resolve("t.yaml").toString(), Map.of()));
        assertTrue(e.getMessage().contains("offload_optimizer") && e.getMessage().contains("nvme"), e.getMessage());
    }
}
