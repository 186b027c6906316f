package dev.zerospark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerospark.testing.TestPaths;
import dev.zerospark.safetensors.SafetensorsFile;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SingleProcessTrainerTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-llama"})
    void replaysRecordedTrainingRun(String fixture) throws Exception {
        Path dir = TestPaths.fixture(fixture);
        TrainingReference ref = TrainingReference.read(dir);
        int[][][] batches = TrainingReference.readBatches(dir);
        assertEquals(ref.steps().size(), batches.length);
        try (TrainableModel model = TrainableModels.load(dir)) {
            SingleProcessTrainer trainer = new SingleProcessTrainer(model, ref.recipe().adamW(),
                    ref.recipe().schedule(), ref.recipe().maxGradNorm());
            for (TrainingReference.Step s : ref.steps()) {
                SingleProcessTrainer.StepResult r = trainer.step(batches[s.step()]);
                assertEquals(s.lr(), r.lr(), 1e-12, "lr at step " + s.step());
                double rel = Math.abs(r.loss() - s.loss()) / Math.abs(s.loss());
                assertTrue(rel < 1e-4, fixture + " step " + s.step() + " loss " + r.loss() + " vs " + s.loss());
                double normRel = Math.abs(r.gradNorm() - s.gradNormBeforeClip()) / s.gradNormBeforeClip();
                assertTrue(normRel < 1e-3, fixture + " step " + s.step() + " grad norm " + r.gradNorm() + " vs "
                        + s.gradNormBeforeClip());
            }
            float[] flat = new float[(int) model.numel()];
            model.readParams(flat);
            double maxErr = 0;
            String worst = "";
            try (SafetensorsFile after = SafetensorsFile.open(dir.resolve(TrainingReference.WEIGHTS_AFTER_FILE))) {
                for (ParamSpec p : model.params()) {
                    float[] expected = after.readFloats(p.name());
                    for (int i = 0; i < expected.length; i++) {
                        double e = Math.abs(expected[i] - flat[(int) p.offset() + i]);
                        if (e > maxErr) {
                            maxErr = e;
                            worst = p.name() + "[" + i + "]";
                        }
                    }
                }
            }
            assertTrue(maxErr < 1e-4, fixture + " final weights max abs error " + maxErr + " at " + worst);
            org.slf4j.LoggerFactory.getLogger(getClass()).info("{}: final weights max abs error {} at {}", fixture,
                    maxErr, worst);

            // the trained flat buffer saves as an HF checkpoint that loads back to the same weights
            Path out = tmp.resolve(fixture);
            dev.zerospark.model.HfCheckpointWriter.save(dev.zerospark.model.HfConfigs.read(dir),
                    TrainableModels.unflatten(model.params(), flat), out,
                    dev.zerospark.model.HfCheckpointWriter.Options.defaults(dir));
            try (TrainableModel back = TrainableModels.load(out)) {
                float[] reloaded = new float[flat.length];
                back.readParams(reloaded);
                org.junit.jupiter.api.Assertions.assertArrayEquals(flat, reloaded);
            }
        }
    }
}
