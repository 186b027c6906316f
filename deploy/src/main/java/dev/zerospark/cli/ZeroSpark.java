package dev.zerospark.cli;

import dev.zerospark.config.ConfigException;
import dev.zerospark.config.LocalPaths;
import dev.zerospark.data.NotADeltaTableException;
import dev.zerospark.data.TokenizerMismatchException;
import dev.zerospark.generate.PromptTooLongException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/zerospark}: one entry point for data preparation, training, export, generation and benchmarks.
 * Exit codes: 0 success, 1 the job failed, 2 bad usage (unknown flag, bad value, bad config key).
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
                TableCommand.class,
                CompleteCommand.class,
                VerifyTrainingCommand.class,
                BenchCommand.class,
                DemoCommand.class,
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
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof ConfigException || ex instanceof CommandLine.ParameterException || ex instanceof NotADeltaTableException
                    || ex instanceof PromptTooLongException || ex instanceof TokenizerMismatchException) {
                cmd.getErr().println("zerospark: " + ex.getMessage());
                return CommandLine.ExitCode.USAGE;
            }
            if (Verbosity.on()) {
                org.slf4j.LoggerFactory.getLogger(ZeroSpark.class).error("{} failed", cmd.getCommandName(), ex);
            }
            cmd.getErr().println("zerospark " + cmd.getCommandName() + " failed: " + oneLine(ex)
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

    /** The failure's own message on one line: the first line of it, else the exception's type. */
    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) return ex.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static void main(String[] args) {
        int code = execute(args);
        System.exit(code);
    }
}
