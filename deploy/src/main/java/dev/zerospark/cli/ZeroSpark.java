package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.LocalPaths;
import dev.zerospark.config.UsageError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/zerospark}: one entry point for data preparation, training, export, generation and benchmarks.
 * Exit codes: 0 success, 1 the job failed, 2 bad usage (unknown flag, bad value, bad config key); {@code pipeline run}
 * adds 3 nothing new, 4 failed at a stage, 5 another run holds the lease.
 */
@Command(name = "zerospark",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Train and fine-tune LLMs on Apache Spark with ZeRO-sharded data parallelism.",
        subcommands = {
                PrepareCommand.class,
                TokenizerCommand.class,
                TrainCommand.class,
                ModelCommand.class,
                ExportCommand.class,
                CheckpointCommand.class,
                EvalCommand.class, AugmentCommand.class,
                TableCommand.class,
                CompleteCommand.class,
                GenerateCommand.class,
                ServeCommand.class,
                VerifyTrainingCommand.class,
                BenchCommand.class,
                DemoCommand.class,
                DoctorCommand.class,
                PipelineCommand.class,
                RegistryCommand.class,
                CommandLine.HelpCommand.class})
public final class ZeroSpark implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Inherited by every subcommand, so {@code zerospark train ... --verbose} works where users type it. */
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show other libraries' log lines and full stack traces.")
    void setVerbose(boolean on) {
        if (on) Verbosity.enable();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ZeroSpark());
        // Every Path-typed flag takes a file: URI as well as a plain path (picocli's default makes ./file:/x of it).
        cl.registerConverter(java.nio.file.Path.class, LocalPaths::of);
        // Flags that set a config key take their help (doc, default, unit, required) from the key's record.
        cl.setResourceBundle(new ConfigHelp());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigException || ex instanceof CommandLine.ParameterException || ex instanceof UsageError) {
                cmd.getErr().println("zerospark: " + ex.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            if (Verbosity.on()) {
                org.slf4j.LoggerFactory.getLogger(ZeroSpark.class).error("{} failed", cmd.getCommandName(), ex);
            }
            cmd.getErr().println("zerospark " + cmd.getCommandName() + " failed: " + summary(ex)
                    + (Verbosity.on() ? "" : " (--verbose shows the stack trace)"));
            return CommandLine.ExitCode.SOFTWARE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("zerospark: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return CommandLine.ExitCode.USAGE;
        });
        return cl;
    }

    /**
     * The failure's own message without the stack traces that Spark and others embed in messages: lines up to the
     * first stack frame ("at ...", "Caused by:", "Driver stacktrace:"). Multi-line messages that carry information,
     * such as a failed rank's log tail, stay; the exception's type stands in for a missing message.
     */
    static String summary(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) return ex.getClass().getSimpleName();
        StringBuilder kept = new StringBuilder();
        for (String line : m.split("\n")) {
            String t = line.strip();
            if (t.startsWith("at ") || t.startsWith("Caused by:") || t.startsWith("Driver stacktrace:") || t.startsWith("... ")) break;
            kept.append(kept.length() == 0 ? "" : "\n").append(line);
        }
        return kept.toString().stripTrailing();
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        int code = execute(args);
        System.exit(code);
    }
}
