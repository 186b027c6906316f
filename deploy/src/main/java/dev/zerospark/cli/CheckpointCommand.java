package dev.zerospark.cli;

import dev.zerospark.checkpoint.CheckpointException;
import dev.zerospark.checkpoint.CheckpointStore;
import dev.zerospark.checkpoint.Manifest;
import dev.zerospark.config.ConfigLoader;
import dev.zerospark.checkpoint.CheckpointExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalLong;

@Command(name = "checkpoint", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "List and inspect sharded checkpoints.",
        subcommands = {CheckpointCommand.ListCmd.class, CheckpointCommand.Inspect.class})
public final class CheckpointCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Version.class, description = "List the complete steps under a checkpoint root URI.")
    static final class ListCmd implements Runnable {
        @Mixin CheckpointUri checkpoint;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            String uri = checkpoint.get(spec.commandLine());
            CheckpointStore store = new CheckpointStore(uri, CliHadoop.conf());
            if (!store.rootExists()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no checkpoint root at " + uri + ": nothing exists there");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%-10s %6s %5s %6s %12s  %-36s  %s%n", "step", "ranks", "zero", "files", "bytes", "run", "data");
            for (long step : store.completeSteps()) {
                Manifest m;
                try {
                    m = store.manifest(step);
                } catch (CheckpointException e) { // one bad manifest is shown, not fatal to the listing
                    out.printf(Locale.ROOT, "%-10s unusable: %s%n", "step-" + step, e.getMessage());
                    continue;
                }
                long bytes = m.files().values().stream().mapToLong(Manifest.FileEntry::bytes).sum();
                out.printf(Locale.ROOT, "%-10s %6d %5d %6d %12d  %-36s  %s@v%s%n", "step-" + step, m.worldSize(), m.zeroStage(),
                        m.files().size(), bytes, m.runId() == null ? "-" : m.runId(), m.data().table(),
                        m.data().version());
            }
            OptionalLong latest = store.latest();
            out.println("latest: " + (latest.isPresent() ? "step-" + latest.getAsLong() : "(none)"));
            out.flush();
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = Version.class,
            description = "Verify a checkpoint's checksums and print its manifest (root URI: newest intact step).")
    static final class Inspect implements Runnable {
        @Mixin CheckpointUri checkpoint;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            String uri = checkpoint.get(spec.commandLine());
            CheckpointExport.Target t = CheckpointExport.resolve(uri, CliHadoop.conf());
            t.store().verify(t.manifest()); // resolve checks sizes only: inspect reads every file against its checksums
            PrintWriter out = spec.commandLine().getOut();
            try {
                out.println(ConfigLoader.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(t.manifest()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot print manifest of " + uri, e);
            }
            out.println("checksums: ok (" + t.manifest().files().size() + " files)");
            out.flush();
        }
    }
}
