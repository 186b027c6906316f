package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.model.HfConfigs;
import dev.zerospark.model.ModelConfig;
import dev.zerospark.model.ModelLoader;
import dev.zerospark.train.TrainableModels;
import dev.zerospark.zero.TrainingVerifier;
import dev.zerospark.zero.ZeroMemoryBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** Per-rank bytes of parameters, gradients, master weights and AdamW state for stages 0/1/2, next to the ZeRO paper. */
@Command(name = "zero-memory", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Per-rank memory of ZeRO stages 0/1/2 at N = 1, 2, 4 next to the ZeRO paper's formulas.")
public final class BenchZeroMemoryCommand implements Runnable {
    @Option(names = "--model", paramLabel = "DIR", description = "HF directory whose config.json sets the shapes (default: GPT-2 124M).") Path model;
    @Option(names = "--world-sizes", split = ",", defaultValue = "1,2,4", description = "World sizes (default ${DEFAULT-VALUE}).") int[] worldSizes;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        try {
            ModelConfig config = model != null ? HfConfigs.read(model) : HfConfigs.parse(gpt2Small());
            var params = TrainingVerifier.flatParams(TrainableModels.layout(ModelLoader.specs(config)));
            List<ZeroMemoryBench.Row> rows = ZeroMemoryBench.rows(params, worldSizes);
            PrintWriter out = spec.commandLine().getOut();
            out.println("model: " + (model != null ? model : "GPT-2 124M (n_layer 12, n_embd 768, vocab 50257)")
                    + "; bytes per rank; paper_total = 16Ψ (stage 0), 4Ψ+12Ψ/N (1), 2Ψ+14Ψ/N (2) for mixed precision");
            out.print(ZeroMemoryBench.table(rows));
            out.println(new ObjectMapper().writeValueAsString(rows));
            out.flush();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ObjectNode gpt2Small() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", "gpt2").put("n_layer", 12).put("n_embd", 768).put("n_head", 12).put("n_positions", 1024)
                .put("vocab_size", 50257).put("layer_norm_epsilon", 1e-5).put("activation_function", "gelu_new")
                .put("tie_word_embeddings", true);
        c.putArray("architectures").add("GPT2LMHeadModel");
        return c;
    }
}
