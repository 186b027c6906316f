package dev.zerospark.cli;

import dev.zerospark.model.verify.ReferenceVerifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "model", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "Inspect and verify HF model directories.",
        subcommands = {ModelCommand.Verify.class})
public final class ModelCommand {

    /**
     * Checks that a converted or exported model computes what transformers recorded: exit 0 when the logits are
     * within tolerance and every greedy output present in the reference matches token for token, 1 otherwise.
     */
    @Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Compare a model's logits and greedy outputs with a reference file; exit 0 only when all pass.")
    static final class Verify implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "HF model directory (config.json + safetensors); required.") Path model;
        @Option(names = "--reference", required = true, paramLabel = "FILE",
                description = "reference_outputs.safetensors: input_ids + logits, optionally greedy_prompt/greedy_output "
                        + "and padded_prompt/padded_attention_mask/padded_greedy_output (required).") Path reference;
        @Option(names = "--tolerance", paramLabel = "X", defaultValue = "1e-4",
                description = "Largest allowed logits error |ours - ref| / max(|ref|, 1) (default ${DEFAULT-VALUE}).") double tolerance;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            CommandLine cl = spec.commandLine();
            if (!Files.isDirectory(model)) {
                throw new CommandLine.ParameterException(cl, "--model " + model + ": no such directory");
            }
            if (!Files.isRegularFile(model.resolve("config.json"))) {
                throw new CommandLine.ParameterException(cl, "--model " + model + ": no config.json in "
                        + model.toAbsolutePath());
            }
            if (!Files.isRegularFile(reference)) {
                throw new CommandLine.ParameterException(cl, "--reference " + reference + ": no such file");
            }
            if (!(tolerance >= 0)) {
                throw new CommandLine.ParameterException(cl, "--tolerance must be >= 0, got " + tolerance);
            }
            ReferenceVerifier.Result r = ReferenceVerifier.verify(model, reference, tolerance);
            PrintWriter out = cl.getOut();
            out.println("model:     " + model.toAbsolutePath());
            out.println("reference: " + reference.toAbsolutePath());
            r.summary().forEach(out::println);
            if (Boolean.FALSE.equals(r.greedyMatches())) {
                out.println("  our greedy output: " + Arrays.deepToString(r.greedyOutput()));
            }
            if (Boolean.FALSE.equals(r.paddedGreedyMatches())) {
                out.println("  our padded greedy output: " + Arrays.deepToString(r.paddedGreedyOutput()));
            }
            out.println(r.passed() ? "verify: PASS" : "verify: FAIL");
            out.flush();
            return r.passed() ? CommandLine.ExitCode.OK : CommandLine.ExitCode.SOFTWARE;
        }
    }
}
