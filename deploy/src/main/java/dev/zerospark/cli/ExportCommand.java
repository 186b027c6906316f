package dev.zerospark.cli;

import dev.zerospark.training.CheckpointExport;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Paths;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write an HF model directory from a sharded checkpoint (a root URI's newest intact step, or <root>/step-N).")
public final class ExportCommand implements Runnable {
    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "Checkpoint root or step directory.") String checkpoint;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output HF directory.") Path out;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Copy tokenizer files from this directory.") Path tokenizer;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CheckpointExport.Target target = CheckpointExport.resolve(checkpoint, new Configuration());
        try {
            int tensors = CheckpointExport.export(target, out, tokenizer);
            spec.commandLine().getOut().printf("exported step %d (%d tensors, saved by %d ranks) to %s%n",
                    target.manifest().step(), tensors, target.manifest().worldSize(), Paths.get(out.toString()).toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
