package dev.zerospark.cli;

import dev.zerospark.safetensors.DType;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.training.CheckpointExport;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.nio.file.Paths;

@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Write an HF model directory from a sharded checkpoint (a root URI's newest intact step, or <root>/step-N).")
public final class ExportCommand implements Runnable {
    @Mixin CheckpointUri checkpointUri;
    @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Output HF directory; must be empty or absent unless --overwrite (required).") Path out;
    @Option(names = "--overwrite", description = "Delete what the output directory holds before writing.") boolean overwrite;
    @Option(names = "--dtype", paramLabel = "bf16|fp16|fp32", description = "Weights dtype on disk (default: the base model's torch_dtype; fp32 when it records none).") String dtype;
    @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = "5GB", description = "Largest weights file (e.g. 5GB, 500MB, or bytes); more weights are sharded with model.safetensors.index.json, as HF does (default: ${DEFAULT-VALUE}).") String maxShardSize;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Copy tokenizer files from this directory instead of the ones train kept in the checkpoint root (optional).") Path tokenizer;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * What the output directory holds. An export never mixes with an older model's files (a stale tokenizer.json next
     * to new weights decodes garbage with exit 0), so a non-empty output is refused unless --overwrite.
     */
    static List<Path> existingEntries(CommandLine cl, Path dir, boolean overwrite) throws IOException {
        if (!Files.exists(dir)) return List.of();
        if (!Files.isDirectory(dir)) throw new CommandLine.ParameterException(cl, "--output " + dir + " is a file, not a directory");
        List<Path> held;
        try (Stream<Path> entries = Files.list(dir)) {
            held = entries.sorted().toList();
        }
        if (!held.isEmpty() && !overwrite) {
            throw new CommandLine.ParameterException(cl, "--output " + dir.toAbsolutePath() + " is not empty (" + held.size() + " entries, e.g. "
                    + held.get(0).getFileName() + "); pass --overwrite to clear it first, or choose another directory");
        }
        return held;
    }

    private static void delete(List<Path> entries) throws IOException {
        for (Path p : entries) {
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
            }
        }
    }

    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        String checkpoint = checkpointUri.get(cl);
        DType weights;
        long shardBytes;
        try {
            weights = dtype == null ? null : CheckpointExport.parseDtype(dtype);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--dtype " + e.getMessage());
        }
        try {
            shardBytes = CheckpointExport.parseSize(maxShardSize);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "--max-shard-size " + e.getMessage());
        }
        CheckpointExport.Options options = new CheckpointExport.Options(weights, shardBytes, tokenizer);
        try {
            List<Path> stale = existingEntries(cl, out, overwrite);
            // Resolve (and verify) the checkpoint before clearing anything, so a bad URI never costs the old export.
            CheckpointExport.Target target = CheckpointExport.resolve(checkpoint, new Configuration());
            delete(stale);
            int tensors = CheckpointExport.export(target, out.toAbsolutePath().toUri().toString(), new Configuration(), options);
            spec.commandLine().getOut().printf("exported step %d (%d tensors, saved by %d ranks) to %s%n",
                    target.manifest().step(), tensors, target.manifest().worldSize(), Paths.get(out.toString()).toAbsolutePath());
            if (!Files.isRegularFile(out.resolve(TokenizerProvenance.TOKENIZER_JSON))) {
                spec.commandLine().getErr().println("zerospark export: warning: " + out.toAbsolutePath() + " has no tokenizer.json "
                        + "(" + (tokenizer != null ? "--tokenizer " + tokenizer + " has none" : "the checkpoint root holds none: its training "
                        + "table recorded no tokenizer, or train could not find it") + "); complete will need one: rerun with --tokenizer DIR");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
