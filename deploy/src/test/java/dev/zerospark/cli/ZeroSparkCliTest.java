package dev.zerospark.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's contract: subcommands listed in --help, usage errors exit 2 and name the flag and value. */
class ZeroSparkCliTest {

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = ZeroSpark.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsEverySubcommand() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String sub : new String[] {"prepare", "tokenizer", "train", "model", "export", "checkpoint", "complete",
                "verify-training", "bench", "demo"}) {
            assertTrue(r.out().contains("  " + sub), "--help does not list " + sub + ":\n" + r.out());
        }
    }

    @Test
    void everySubcommandHasHelp() {
        CommandLine root = ZeroSpark.commandLine();
        for (String sub : root.getSubcommands().keySet()) {
            if (sub.equals("help")) continue;
            Run r = run(sub, "--help");
            assertEquals(0, r.code(), sub + " --help");
            assertTrue(r.out().contains("Usage: zerospark " + sub), r.out());
        }
    }

    @Test
    void unknownFlagExitsTwoAndNamesIt() {
        Run r = run("prepare", "--no-such-flag", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
    }

    @Test
    void unknownTopLevelCommandExitsTwo() {
        Run r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void badConfigKeyExitsTwoAndNamesThePath() throws Exception {
        Path f = Files.createTempFile("zs", ".yaml");
        Files.writeString(f, "train:\n  zero:\n    stgae: 1\n");
        Run r = run("train", "--config", f.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("train.zero.stgae"), r.err());
    }

    @Test
    void badValueExitsTwoAndNamesFlagAndValue() {
        Run r = run("train", "--world-size", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--world-size") && r.err().contains("lots"), r.err());
    }

    @Test
    void flagValueRejectedByConfigValidationExitsTwo() {
        Run r = run("train", "--zero-stage", "3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("train.zero.stage") && r.err().contains("3"), r.err());
    }
}
