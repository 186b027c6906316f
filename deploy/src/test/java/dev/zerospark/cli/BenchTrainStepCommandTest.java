package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code zerospark bench train-step} on a tiny model: a table and a parseable JSON line, with the PyTorch columns
 * filled when Debian's python3-torch is installed and marked absent (with the install command) when it is not.
 * No timing assertions: the numbers depend on the machine.
 */
class BenchTrainStepCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<String> tiny(String arch, String... more) {
        List<String> args = new ArrayList<>(List.of("bench", "train-step", "--arch", arch, "--layers", "1",
                "--d-model", "32", "--heads", "2", "--vocab", "128", "--seq", "16", "--batch", "2", "--steps", "2",
                "--warmup", "0", "--threads", "1"));
        args.addAll(List.of(more));
        return args;
    }

    private static boolean debianTorchInstalled() throws Exception {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static JsonNode jsonLine(CliRun r) throws Exception {
        List<String> lines = r.out().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(1, lines.size(), r.toString());
        return JSON.readTree(lines.get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void tinyBenchPrintsTableAndJsonNextToPytorch(String arch) throws Exception {
        CliRun r = CliRun.of(tiny(arch).toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("tokens/s") && r.out().contains("ms/step") && r.out().contains("MFU"), r.toString());
        JsonNode j = jsonLine(r);
        assertEquals(arch, j.get("arch").asText());
        assertEquals(32, j.get("tokens_per_step").asInt());
        assertEquals(1, j.get("threads").asInt());
        JsonNode z = j.get("zerospark");
        assertTrue(z.get("ms_per_step").asDouble() > 0, j.toString());
        assertEquals(32 / (z.get("ms_per_step").asDouble() / 1e3), z.get("tokens_per_s").asDouble(), 1e-6);
        assertTrue(z.get("mfu").asDouble() > 0 && z.get("mfu").asDouble() < 1, j.toString());
        // Against its own probe (never above the shared peak's maximum): the "each of its own matmul rate".
        assertEquals(z.get("mfu").asDouble() * j.get("peak_matmul_gflops").asDouble() / z.get("matmul_gflops").asDouble(),
                z.get("mfu_own_matmul").asDouble(), 1e-9, j.toString());
        assertTrue(z.get("cpu_ms_per_step").asDouble() > 0, j.toString());
        assertEquals("fp32", z.get("precision").asText(), j.toString());
        if (debianTorchInstalled()) {
            JsonNode p = j.get("pytorch");
            assertNotNull(p, j.toString());
            assertTrue(p.isObject(), j.toString());
            assertEquals("fp32", p.get("precision").asText(), j.toString());
            assertEquals("torch.float32", p.get("weights_dtype").asText(), j.toString());
            // Same architecture on both sides: the parameter counts agree.
            assertEquals(j.get("params").asLong(), p.get("params").asLong(), j.toString());
            assertEquals(1, p.get("threads").asInt());
            assertEquals(TorchTrainStepBaseline.GLIBC_TUNABLES, p.get("glibc_tunables").asText());
            assertTrue(p.get("blas").get("libs").size() > 0, j.toString());
            assertEquals(z.get("tokens_per_s").asDouble() / p.get("tokens_per_s").asDouble(), j.get("ratio").asDouble(), 1e-9);
            assertTrue(r.out().contains("ratio zerospark/pytorch"), r.toString());
            // One thread: both sides' CPU time is meaningful and the CPU ratio is reported.
            assertTrue(p.get("cpu_ms_per_step").asDouble() > 0, j.toString());
            assertEquals(p.get("cpu_ms_per_step").asDouble() / z.get("cpu_ms_per_step").asDouble(),
                    j.get("cpu_ratio").asDouble(), 1e-9);
        } else {
            assertTrue(j.get("pytorch").isNull(), j.toString());
            assertTrue(r.err().contains("apt-get install python3-torch libopenblas0-openmp"), r.toString());
        }
    }

    /**
     * --precision bf16 runs the PyTorch side in the same bf16 mixed-precision recipe (bf16 weights and logits, fp32
     * master weights), and both sides say which precision they ran, in the table and in the JSON line.
     */
    @Test
    void bf16RunsThePytorchBaselineInBf16Too() throws Exception {
        List<String> args = tiny("gpt2", "--precision", "bf16");
        args.set(args.indexOf("--warmup") + 1, "1"); // the model is cast at its first step
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        JsonNode j = jsonLine(r);
        assertEquals("bf16", j.get("precision").asText(), j.toString());
        assertEquals("bf16", j.get("zerospark").get("precision").asText(), j.toString());
        assertTrue(r.out().contains("MFU at bf16 is against the fp32 matmul probe"), r.toString());
        if (debianTorchInstalled()) {
            JsonNode p = j.get("pytorch");
            assertTrue(p.isObject(), j.toString());
            assertEquals("bf16", p.get("precision").asText(), j.toString());
            assertEquals("torch.bfloat16", p.get("weights_dtype").asText(), j.toString());
            assertEquals("torch.bfloat16", p.get("logits_dtype").asText(), j.toString());
            assertEquals(j.get("params").asLong(), p.get("params").asLong(), j.toString());
            assertTrue(p.get("tokens_per_s").asDouble() > 0, j.toString());
            assertTrue(r.out().lines().anyMatch(l -> l.matches("precision\\s+bf16\\s+bf16")), r.toString());
        } else {
            assertTrue(j.get("pytorch").isNull(), j.toString());
            assertTrue(r.err().contains("apt-get install python3-torch libopenblas0-openmp"), r.toString());
        }
    }

    @Test
    void missingInterpreterMarksBaselineAbsentAndSaysHowToInstall() throws Exception {
        CliRun r = CliRun.of(tiny("gpt2", "--python", "/nonexistent/python3").toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("apt-get install python3-torch libopenblas0-openmp"), r.toString());
        assertTrue(r.out().contains("absent"), r.toString());
        JsonNode j = jsonLine(r);
        assertTrue(j.get("pytorch").isNull() && j.get("ratio").isNull(), j.toString());
        assertTrue(j.get("zerospark").get("tokens_per_s").asDouble() > 0, j.toString());
    }

    @Test
    void noBaselineSkipsPytorchAndRestoresTheThreadCount() throws Exception {
        int before = dev.zerospark.train.TrainStepBench.threads();
        CliRun r = CliRun.of(tiny("llama", "--no-baseline").toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        JsonNode j = jsonLine(r);
        assertTrue(j.get("pytorch").isNull(), j.toString());
        assertTrue(j.get("pytorch_absent").asText().contains("--no-baseline"), j.toString());
        assertEquals(1, j.get("threads").asInt(), "the run used --threads 1");
        assertEquals(before, dev.zerospark.train.TrainStepBench.threads(), "thread count not restored");
    }

    @Test
    void theStepChangesTheWeightsReadBackFromTheDevice() throws Exception {
        CliRun r = CliRun.of(tiny("gpt2", "--no-baseline", "--device", "cpu").toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        JsonNode w = jsonLine(r).get("zerospark").get("weights_on_device");
        assertEquals("cpu()", w.get("device").asText(), w.toString());
        assertTrue(w.get("changed").asBoolean() && w.get("max_change").asDouble() > 0, w.toString());
        assertTrue(r.out().contains("weights read back from cpu()") && r.out().contains("changed by the steps"), r.toString());
    }

    @Test
    void aBadDeviceNamesTheFlag() {
        CliRun r = CliRun.of(tiny("gpt2", "--no-baseline", "--device", "tpu:0").toArray(String[]::new));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--device: device 'tpu:0' cannot be used: expected cpu or cuda:N"), r.toString());
        if (ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0) {
            CliRun gpu = CliRun.of(tiny("gpt2", "--no-baseline", "--device", "cuda:0").toArray(String[]::new));
            assertEquals(2, gpu.code(), gpu.toString());
            assertTrue(gpu.err().contains("--device: device 'cuda:0' cannot be used") && gpu.err().contains("sees 0 CUDA"),
                    gpu.toString());
        }
    }

    @Test
    void badArchExitsTwo() {
        CliRun r = CliRun.of("bench", "train-step", "--arch", "bert");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("bert"), r.toString());
    }

    @Test
    void headsMustDivideModelWidth() {
        CliRun r = CliRun.of("bench", "train-step", "--d-model", "30", "--heads", "4");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--heads"), r.toString());
    }
}
