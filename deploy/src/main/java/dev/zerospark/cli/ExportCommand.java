package dev.zerospark.cli;

import dev.zerospark.safetensors.DType;
import dev.zerospark.tokenizer.TokenizerProvenance;
import dev.zerospark.checkpoint.CheckpointExport;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;

@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Write an HF model directory from a sharded checkpoint (a root URI's newest intact step, or <root>/step-N), "
                + "one tensor at a time, to a local path or any Hadoop URI (s3a://, dbfs:/, hdfs://, file://).")
public final class ExportCommand implements Runnable {
    @Mixin CheckpointUri checkpointUri;
    @Option(names = {"--output", "--out"}, required = true, paramLabel = "URI", description = "Output HF directory: a local path or a Hadoop URI (s3a://, dbfs:/, file://); must be empty or absent unless --overwrite (required).") String out;
    @Option(names = "--overwrite", description = "Delete what the output directory holds before writing.") boolean overwrite;
    @Option(names = "--dtype", paramLabel = "bf16|fp16|fp32", description = "Weights dtype on disk (default: the base model's torch_dtype; fp32 when it records none).") String dtype;
    @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = "5GB", description = "Largest weights file (e.g. 5GB, 500MB, or bytes); more weights are sharded with model.safetensors.index.json, as HF does (default: ${DEFAULT-VALUE}).") String maxShardSize;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Copy tokenizer files from this directory instead of the ones train kept in the checkpoint root (optional).") java.nio.file.Path tokenizer;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The output as a URI: a Hadoop URI as given, a plain local path made absolute. */
    static String outputUri(String out) {
        // A scheme of two letters or more: a one-letter one is a Windows drive.
        if (out.matches("[a-zA-Z][a-zA-Z0-9+.-]+:.*")) return out;
        return Paths.get(out).toAbsolutePath().toUri().toString();
    }

    /**
     * What the output directory holds. An export never mixes with an older model's files (a stale tokenizer.json next
     * to new weights decodes garbage with exit 0), so a non-empty output is refused unless --overwrite.
     */
    static List<FileStatus> existingEntries(CommandLine cl, FileSystem fs, Path dir, boolean overwrite) throws IOException {
        if (!fs.exists(dir)) return List.of();
        if (fs.getFileStatus(dir).isFile()) throw new CommandLine.ParameterException(cl, "--output " + dir + " is a file, not a directory");
        List<FileStatus> held = Arrays.stream(fs.listStatus(dir)).sorted().toList();
        if (!held.isEmpty() && !overwrite) {
            throw new CommandLine.ParameterException(cl, "--output " + dir + " is not empty (" + held.size() + " entries, e.g. "
                    + held.get(0).getPath().getName() + "); pass --overwrite to clear it first, or choose another directory");
        }
        return held;
    }

    private static void delete(FileSystem fs, List<FileStatus> entries) throws IOException {
        for (FileStatus e : entries) {
            if (!fs.delete(e.getPath(), true)) throw new IOException("could not delete " + e.getPath());
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
        Configuration conf = CliHadoop.conf();
        try {
            Path dir;
            try {
                dir = new Path(outputUri(out));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "--output " + out + " is not a path or URI: " + e.getMessage());
            }
            FileSystem fs = dir.getFileSystem(conf);
            List<FileStatus> stale = existingEntries(cl, fs, dir, overwrite);
            // Resolve (and verify) the checkpoint before clearing anything, so a bad URI never costs the old export.
            CheckpointExport.Target target = CheckpointExport.resolve(checkpoint, conf);
            delete(fs, stale);
            int tensors = CheckpointExport.export(target, dir.toString(), conf, options);
            spec.commandLine().getOut().printf("exported step %d (%d tensors, saved by %d ranks) to %s%n",
                    target.manifest().step(), tensors, target.manifest().worldSize(), dir);
            if (!fs.isFile(new Path(dir, TokenizerProvenance.TOKENIZER_JSON))) {
                spec.commandLine().getErr().println("zerospark export: warning: " + dir + " has no tokenizer.json "
                        + "(" + (tokenizer != null ? "--tokenizer " + tokenizer + " has none" : "the checkpoint root holds none: its training "
                        + "table recorded no tokenizer, or train could not find it") + "); complete will need one: rerun with --tokenizer DIR");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
