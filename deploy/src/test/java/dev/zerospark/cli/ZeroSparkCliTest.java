package dev.zerospark.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's contract: subcommands listed in --help, usage errors exit 2 and name the flag and value. */
class ZeroSparkCliTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void helpListsEverySubcommand() {
        CliRun r = run("--help");
        assertEquals(0, r.code());
        for (String sub : new String[] {"prepare", "tokenizer", "train", "model", "export", "checkpoint", "complete", "generate",
                "verify-training", "bench", "eval", "augment", "demo"}) {
            assertTrue(r.out().contains("  " + sub), "--help does not list " + sub + ":\n" + r.out());
        }
    }

    @Test
    void everySubcommandHasHelp() {
        CommandLine root = ZeroSpark.commandLine();
        for (String sub : root.getSubcommands().keySet()) {
            if (sub.equals("help")) continue;
            CliRun r = run(sub, "--help");
            assertEquals(0, r.code(), sub + " --help");
            assertTrue(r.out().contains("Usage: zerospark " + sub), r.out());
        }
    }

    /** {@code -V} works at every level a user may type it, down to {@code bench allreduce} and {@code checkpoint list}. */
    @Test
    void everyCommandPrintsTheVersion() {
        String version = run("-V").out().strip();
        assertTrue(!version.isEmpty(), "root -V prints nothing");
        java.util.List<String> missing = new java.util.ArrayList<>();
        walk(ZeroSpark.commandLine(), new java.util.ArrayList<>(), missing, version);
        assertTrue(missing.isEmpty(), "-V fails on: " + missing);
    }

    private static void walk(CommandLine cmd, java.util.List<String> path, java.util.List<String> missing, String version) {
        for (var e : cmd.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            java.util.List<String> sub = new java.util.ArrayList<>(path);
            sub.add(e.getKey());
            java.util.List<String> args = new java.util.ArrayList<>(sub);
            args.add("-V");
            CliRun r = run(args.toArray(String[]::new));
            if (r.code() != 0 || !r.out().strip().equals(version)) missing.add(String.join(" ", sub));
            walk(e.getValue(), sub, missing, version);
        }
    }

    @Test
    void aFailureSummaryKeepsTheMessageAndDropsEmbeddedStackTraces() {
        String spark = "Job aborted due to stage failure: rank 0 failed [BUG]: java.lang.IllegalStateException: oops\n"
                + "\tat dev.zerospark.training.RankTrainer.loop(RankTrainer.java:129)\n\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
                + "Driver stacktrace:\n\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)";
        assertEquals("Job aborted due to stage failure: rank 0 failed [BUG]: java.lang.IllegalStateException: oops",
                ZeroSpark.summary(new RuntimeException(spark)));
        assertEquals("rank 1 exited 7; its log ends:\ninjected: no java", ZeroSpark.summary(new RuntimeException("rank 1 exited 7; its log ends:\ninjected: no java")));
        assertEquals("NullPointerException", ZeroSpark.summary(new NullPointerException()));
    }

    @Test
    void unknownFlagExitsTwoAndNamesIt() {
        CliRun r = run("prepare", "--no-such-flag", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
    }

    @Test
    void unknownTopLevelCommandExitsTwo() {
        CliRun r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void badConfigKeyExitsTwoAndNamesThePath() throws Exception {
        Path f = Files.createTempFile("zs", ".yaml");
        Files.writeString(f, "train:\n  zero:\n    stgae: 1\n");
        CliRun r = run("train", "--config", f.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train.zero.stgae"), r.err());
    }

    @Test
    void badValueExitsTwoAndNamesFlagAndValue() {
        CliRun r = run("train", "--world-size", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--world-size") && r.err().contains("lots"), r.err());
    }

    @Test
    void flagValueRejectedByConfigValidationExitsTwo() {
        CliRun r = run("train", "--zero-stage", "3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train.zero.stage") && r.err().contains("3"), r.err());
    }

    @Test
    void collectiveFlagsReachTheirKeys() {
        CliRun timeout = run("train", "--collective-timeout-s", "0");
        assertEquals(2, timeout.code());
        assertTrue(timeout.err().contains("train.collective_timeout_s") && timeout.err().contains("0"), timeout.err());
        CliRun mac = run("bench", "allreduce", "--frame-mac", "maybe", "--bytes", "4096", "--iters", "1");
        assertEquals(2, mac.code());
        assertTrue(mac.err().contains("--frame-mac") && mac.err().contains("maybe"), mac.err());
    }

    @Test
    void badWireFormatExitsTwoAndNamesFlagAndValue() {
        for (String[] args : new String[][] {{"bench", "allreduce", "--wire", "int8"},
                {"verify-training", "--model", "x", "--communication-data-type", "int8"}}) {
            CliRun r = run(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(args[args.length - 2]) && r.err().contains("int8"), r.err());
        }
    }
}
