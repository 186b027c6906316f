package dev.zerospark.cli;

import dev.zerospark.config.ConfigDocs;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.config.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code --help} says each option's default, or that it is required, or that it is optional (the rule for
 * options with no default); flags that set a config key take that text from the key's doc, written once.
 */
class HelpTextTest {
    /** Calls {@code check(command name, option)} for every option of every command, picocli's -h/-V left out. */
    private static void eachOption(CommandLine cl, BiConsumer<String, OptionSpec> check) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (!o.usageHelp() && !o.versionHelp()) check.accept(cl.getCommandSpec().qualifiedName(), o);
        }
        for (CommandLine sub : cl.getSubcommands().values()) eachOption(sub, check);
    }

    private static String help(OptionSpec o) {
        return String.join(" ", o.description());
    }

    @Test
    void everyConfigFlagNamesARealKeyAndShowsItsDocAndTheKey() {
        List<String> bad = new ArrayList<>();
        int[] flags = {0};
        eachOption(ZeroSpark.commandLine(), (cmd, o) -> {
            String key = ConfigOption.configKey(o);
            if (key == null) return;
            flags[0]++;
            ConfigDocs.Key k = ConfigDocs.key(key);
            boolean showsDefault = k.defaultValue() == null || help(o).contains("default");
            if (!help(o).contains(k.doc()) || !help(o).contains("[" + key + "]") || !showsDefault) bad.add(cmd + " " + o.longestName() + ": " + help(o));
        });
        assertTrue(bad.isEmpty(), "help not from the config doc:\n" + String.join("\n", bad));
        assertTrue(flags[0] >= 35, "config flags found: " + flags[0]);
    }

    @Test
    void aDocThatDoesNotStateItsDefaultGetsTheRealOne() {
        assertEquals("blocks per step (default 5) [train.x]", ConfigHelp.text(new ConfigDocs.Key("train.x", "blocks per step", 5)));
        assertEquals("blocks (default 4) [train.x]", ConfigHelp.text(new ConfigDocs.Key("train.x", "blocks (default 4)", 4)));
        assertEquals("50%% of it (required) [train.x]", ConfigHelp.text(new ConfigDocs.Key("train.x", "50% of it (required)", null)));
    }

    @Test
    void everyOptionSaysItsDefaultOrThatItIsRequiredOrOptional() {
        List<String> bad = new ArrayList<>();
        eachOption(ZeroSpark.commandLine(), (cmd, o) -> {
            String h = help(o).toLowerCase(Locale.ROOT);
            if (o.required() && !h.contains("required")) bad.add(cmd + " " + o.longestName() + " is required but its help does not say so: " + h);
            if (o.arity().max() == 0) return; // a switch: off unless given
            if (!(h.contains("default") || h.contains("required") || h.contains("optional"))) {
                bad.add(cmd + " " + o.longestName() + " says neither its default nor required nor optional: " + h);
            }
        });
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void aPicocliDefaultIsShownFromTheDeclarationNotRetyped() {
        CommandLine raw = ZeroSpark.commandLine();
        raw.setInterpolateVariables(false);
        List<String> bad = new ArrayList<>();
        eachOption(raw, (cmd, o) -> {
            if (o.defaultValue() != null && !help(o).contains("${DEFAULT-VALUE}")) {
                bad.add(cmd + " " + o.longestName() + " (default " + o.defaultValue() + "): " + help(o));
            }
        });
        assertTrue(bad.isEmpty(), "options with a defaultValue whose help does not show ${DEFAULT-VALUE}:\n" + String.join("\n", bad));
    }

    @Test
    void prepareAndTrainHelpShowDefaultsUnitsAndRequiredFlags() {
        CliRun prepare = CliRun.of("prepare", "--help");
        assertEquals(0, prepare.code(), prepare.toString());
        assertTrue(entry(prepare.out(), "--seq-len").contains(squeeze("tokens per training block (default 512) [prepare.seq_len]")), prepare.out());
        assertTrue(entry(prepare.out(), "--input").contains("(required)"), prepare.out());
        assertTrue(entry(prepare.out(), "--output").contains("(required)[prepare.output]"), prepare.out());
        CliRun train = CliRun.of("train", "--help");
        assertEquals(0, train.code(), train.toString());
        String timeout = entry(train.out(), "--collective-timeout-s");
        assertTrue(timeout.contains("seconds") && timeout.contains("(default120)"), train.out());
        assertTrue(entry(train.out(), "--data").contains("(required)"), train.out());
        assertTrue(entry(CliRun.of("complete", "--help").out(), "--prompt").contains("(required)"));
    }

    /**
     * The option's entry in a help text, from its line to the next option's, with all whitespace removed: picocli
     * wraps long descriptions, even inside a dotted key.
     */
    private static String entry(String help, String option) {
        String[] lines = help.split("\n");
        for (int i = 0; i < lines.length; i++) {
            // An option's own entry is indented a few columns; the usage synopsis's wrapped lines (which may also start
            // with the option) are indented past the command name.
            if (!lines[i].matches("\\s{0,8}(-\\w, )?(--[\\w-]+, )*" + option + "\\b.*")) continue;
            StringBuilder b = new StringBuilder(lines[i]);
            for (int j = i + 1; j < lines.length && !lines[j].trim().startsWith("-"); j++) b.append(lines[j]);
            return squeeze(b.toString());
        }
        throw new AssertionError(option + " not in help:\n" + help);
    }

    private static String squeeze(String s) {
        return s.replaceAll("\\s+", "");
    }

    @Test
    void aKeyItsDocMarksRequiredIsRequiredNamingItsFlag() {
        CliRun r = CliRun.of("prepare", "--input", "in.jsonl", "--tokenizer", "tok");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("prepare.output is required (--output or the config file)"), r.err());
        CliRun t = CliRun.of("prepare", "--input", "in.jsonl", "--output", "out");
        assertEquals(2, t.code(), t.toString());
        assertTrue(t.err().contains("prepare.tokenizer is required (--tokenizer or the config file)"), t.err());
    }

    @Test
    void flagsReachTheirKeysAndAbsentFlagsLeaveTheFileValues(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("c.yaml"), "train:\n  steps: 7\n  world_size: 3\nprepare:\n  seq_len: 64\n");
        CommandLine cl = ZeroSpark.commandLine();
        TrainCommand train = (TrainCommand) cl.parseArgs("train", "--config", conf.toString(), "--zero-stage", "1", "--lr", "0.01",
                "--world-size", "2", "--collective-timeout-s", "5", "--no-frame-mac", "--seq-len", "32", "--precision", "bf16")
                .subcommand().commandSpec().userObject();
        TrainConfig t = train.resolve();
        assertEquals(1, t.zero().stage());
        assertEquals(0.01, t.optimizer().lr());
        assertEquals(2, t.worldSize(), "flag over file");
        assertEquals(7, t.steps(), "file value kept where no flag was given");
        assertEquals(5, t.collectiveTimeoutS());
        assertEquals(false, t.frameMac());
        assertEquals(32, t.seqLen());
        assertEquals("bf16", t.precision());

        CommandLine cl2 = ZeroSpark.commandLine();
        PrepareCommand prepare = (PrepareCommand) cl2.parseArgs("prepare", "--config", conf.toString(), "--input", "in.jsonl",
                "--tokenizer", "tok", "--out", "tables", "--body-field", "text").subcommand().commandSpec().userObject();
        PrepareConfig p = prepare.resolve();
        assertEquals("tables", p.output(), "--out is --output");
        assertEquals("text", p.fields().body());
        assertEquals(64, p.seqLen(), "file value kept where no flag was given");
    }
}
