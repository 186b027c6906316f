package dev.zerospark.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zerospark.config.ConfigException;
import dev.zerospark.config.GenerateConfig;
import dev.zerospark.config.LocalPaths;
import dev.zerospark.generate.GenerationOptions;
import dev.zerospark.generate.TextCompleter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Completes prompts with a local HF model (KV-cache generation, prompts batched with left padding). Settings come
 * from the {@code generate} section of {@code --config}, flags override them; temperature 0 is greedy.
 */
@Command(name = "complete", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Generate a completion for a prompt with a local model; flags override --config generate.* values.")
public final class CompleteCommand implements Runnable {
    @Mixin ConfigOption config;
    @Option(names = "--model", paramLabel = "DIR", descriptionKey = "generate.model") String model;
    @Option(names = "--prompt", required = true, paramLabel = "TEXT",
            description = "Prompt text; repeat to complete several prompts in one batch (required).") List<String> prompts;
    @Option(names = "--max-new-tokens", paramLabel = "N", descriptionKey = "generate.max_new_tokens") Integer maxNewTokens;
    @Option(names = "--temperature", paramLabel = "T", descriptionKey = "generate.temperature") Double temperature;
    @Option(names = "--top-k", paramLabel = "K", descriptionKey = "generate.top_k") Integer topK;
    @Option(names = "--top-p", paramLabel = "P", descriptionKey = "generate.top_p") Double topP;
    @Option(names = "--seed", paramLabel = "S", descriptionKey = "generate.seed") Long seed;
    @Option(names = "--stop", paramLabel = "STR", description = "Stop once the new text contains STR (cut before it); repeatable (optional).") List<String> stops;
    @Option(names = "--truncate", paramLabel = "left|error", descriptionKey = "generate.truncate") String truncate;
    @Option(names = "--dtype", paramLabel = "fp32|bf16", descriptionKey = "generate.dtype") String dtype;
    @Option(names = "--json", description = "Print one JSON object per prompt: prompt, completion, tokens, finish_reason.") boolean json;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The resolved generation config: file values with these flags laid over them. */
    GenerateConfig resolve() {
        return config.load(spec).generate();
    }

    /**
     * The HF directory a user named (a path or {@code file:} URI), or a usage error that says what it is instead: a
     * checkpoint root needs {@code zerospark export} first.
     */
    static Path modelDir(String location) {
        Path dir = LocalPaths.of(location);
        if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
        if (Files.isDirectory(dir) && (Files.exists(dir.resolve("latest")) || Files.isRegularFile(dir.resolve("manifest.json")) || hasStepDir(dir))) {
            throw new ConfigException("generate.model", dir.toAbsolutePath() + " is a training checkpoint, not an HF model directory: run `zerospark export --checkpoint "
                    + location + " --output <dir>` first and pass that directory");
        }
        throw new ConfigException("generate.model", "model directory " + dir.toAbsolutePath()
                + (Files.isDirectory(dir) ? " has no config.json" : " does not exist"));
    }

    private static boolean hasStepDir(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.anyMatch(p -> p.getFileName().toString().startsWith("step-") && Files.isDirectory(p));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void run() {
        GenerateConfig g = resolve();
        if (g.model() == null) {
            throw new ConfigException("generate.model", "no model given: pass --model DIR or set generate.model in --config");
        }
        Path dir = modelDir(g.model());
        PrintWriter out = spec.commandLine().getOut();
        try (TextCompleter completer = TextCompleter.open(dir, null, g.dtype())) {
            GenerationOptions opts = completer.options(g.maxNewTokens(), g.temperature(), g.topK(), g.topP(), g.seed(),
                    stops == null ? List.of() : stops);
            List<TextCompleter.Completion> done = completer.complete(prompts, opts,
                    TextCompleter.Truncation.valueOf(g.truncate().toUpperCase(java.util.Locale.ROOT)));
            for (int i = 0; i < done.size(); i++) {
                TextCompleter.Completion c = done.get(i);
                if (c.cutTokens() > 0) {
                    spec.commandLine().getErr().printf("zerospark: warning: prompt %d has %d tokens; the model's context is %d and --max-new-tokens %d leaves %d, so its first %d tokens were cut (--truncate error refuses instead)%n",
                            i + 1, c.promptTokens() + c.cutTokens(), completer.model().config().maxPositions(), g.maxNewTokens(), c.promptTokens(), c.cutTokens());
                }
            }
            ObjectMapper mapper = new ObjectMapper();
            for (int i = 0; i < done.size(); i++) {
                TextCompleter.Completion c = done.get(i);
                if (json) {
                    ObjectNode n = mapper.createObjectNode();
                    n.put("prompt", prompts.get(i));
                    n.put("completion", c.text());
                    List<Integer> tokens = new ArrayList<>();
                    for (int t : c.tokens()) {
                        tokens.add(t);
                    }
                    n.set("tokens", mapper.valueToTree(tokens));
                    n.put("finish_reason", c.finishReason().name().toLowerCase());
                    n.put("prompt_tokens", c.promptTokens());
                    n.put("prompt_tokens_cut", c.cutTokens());
                    out.println(n);
                } else {
                    out.println(c.text());
                }
            }
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot load model from " + dir.toAbsolutePath(), e);
        }
    }
}
