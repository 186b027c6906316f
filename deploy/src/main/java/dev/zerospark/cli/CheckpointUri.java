package dev.zerospark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The checkpoint a command reads, taken the same way by {@code export} and {@code checkpoint list|inspect}: as the
 * positional URI or as {@code --checkpoint URI}, exactly one of them.
 */
public final class CheckpointUri {
    @Parameters(index = "0", arity = "0..1", paramLabel = "URI",
            description = "Checkpoint root (file://, s3a://, hdfs://, dbfs:/) or <root>/step-N; this or --checkpoint is required.") String positional;
    @Option(names = "--checkpoint", paramLabel = "URI", description = "The same, as a flag (required unless given positionally).") String flag;

    /** The URI given positionally or by --checkpoint; a usage error when neither or two different ones are given. */
    String get(CommandLine cl) {
        if (positional != null && flag != null && !positional.equals(flag)) {
            throw new CommandLine.ParameterException(cl, "two checkpoints given: " + positional + " and --checkpoint " + flag);
        }
        if (positional == null && flag == null) throw new CommandLine.ParameterException(cl, "the checkpoint URI is required (URI or --checkpoint URI)");
        return positional != null ? positional : flag;
    }
}
