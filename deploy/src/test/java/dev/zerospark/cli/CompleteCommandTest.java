package dev.zerospark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.generate.TextCompleter;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code zerospark complete}: prints what {@link TextCompleter} generates, deterministically for a seed. */
class CompleteCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "The quick brown fox";

    private static String model() {
        return TestPaths.fixture("tiny-gpt2").toString();
    }

    @Test
    void greedyCompletionIsDeterministicAndEqualsTextCompleter() throws Exception {
        CliRun a = CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "12");
        CliRun b = CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "12");
        assertEquals(0, a.code(), a.toString());
        assertEquals(a.out(), b.out());
        String expected;
        try (TextCompleter tc = TextCompleter.open(Path.of(model()))) {
            expected = tc.complete(List.of(PROMPT), tc.options(12, 0, 0, 1, 0, List.of())).get(0).text();
        }
        assertEquals(expected + System.lineSeparator(), a.out());
    }

    @Test
    void dtypeBf16CompletesWithBf16Weights() throws Exception {
        JsonNode bf16 = json(run(new String[] {"complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "8",
                "--temperature", "1.0", "--seed", "3", "--json"}, "--dtype", "bf16"));
        try (TextCompleter tc = TextCompleter.open(Path.of(model()), null, TextCompleter.BF16)) {
            var c = tc.complete(List.of(PROMPT), tc.options(8, 1.0, 0, 1, 3, List.of())).get(0);
            assertEquals(c.text(), bf16.get("completion").asText());
            assertEquals(8, bf16.get("tokens").size());
        }
    }

    @Test
    void sameSeedSameSampleAndSeedsMatter() throws Exception {
        String[] base = {"complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "16",
                "--temperature", "1.0", "--top-k", "50", "--json"};
        JsonNode first = json(run(base, "--seed", "7"));
        JsonNode again = json(run(base, "--seed", "7"));
        assertEquals(first.get("tokens"), again.get("tokens"));
        assertEquals(first.get("completion"), again.get("completion"));
        Set<JsonNode> samples = new HashSet<>();
        for (int seed = 0; seed < 4; seed++) {
            samples.add(json(run(base, "--seed", Integer.toString(seed))).get("tokens"));
        }
        assertTrue(samples.size() > 1, "four seeds gave the same sample: " + samples);
        try (TextCompleter tc = TextCompleter.open(Path.of(model()))) {
            var c = tc.complete(List.of(PROMPT), tc.options(16, 1.0, 50, 1, 7, List.of())).get(0);
            assertEquals(c.text(), first.get("completion").asText());
        }
    }

    @Test
    void configSuppliesValuesAndFlagsOverrideThem(@TempDir Path tmp) throws Exception {
        Path conf = tmp.resolve("gen.yaml");
        Files.writeString(conf, "generate:\n  model: " + model() + "\n  max_new_tokens: 3\n");
        JsonNode fromFile = json(CliRun.of("complete", "--config", conf.toString(), "--prompt", PROMPT, "--json"));
        assertEquals(3, fromFile.get("tokens").size(), fromFile.toString());
        assertEquals("max_new_tokens", fromFile.get("finish_reason").asText(), fromFile.toString());
        JsonNode overridden = json(CliRun.of("complete", "--config", conf.toString(), "--prompt", PROMPT,
                "--max-new-tokens", "5", "--json"));
        assertEquals(5, overridden.get("tokens").size(), overridden.toString());
    }

    @Test
    void stopStringCutsTheCompletion() throws Exception {
        JsonNode full = json(CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "12",
                "--json"));
        String text = full.get("completion").asText();
        // Stop on a piece of the greedy text that starts after its first character, so the cut is visible.
        assertTrue(text.strip().length() > 2, "greedy text too short to test a stop string: " + full);
        String stop = text.strip().substring(1, 2);
        JsonNode cut = json(CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "12",
                "--stop", stop, "--json"));
        assertEquals("stop_string", cut.get("finish_reason").asText(), cut.toString());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.get("completion").asText());
    }

    @Test
    void badTopPExitsTwoAndNamesTheKey() {
        CliRun r = CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--top-p", "1.5");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("top_p") && r.err().contains("1.5"), r.toString());
    }

    @Test
    void missingModelExitsTwo(@TempDir Path tmp) {
        CliRun none = CliRun.of("complete", "--prompt", PROMPT);
        assertEquals(2, none.code(), none.toString());
        assertTrue(none.err().contains("generate.model"), none.toString());
        Path missing = tmp.resolve("absent");
        CliRun bad = CliRun.of("complete", "--model", missing.toString(), "--prompt", PROMPT);
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains(missing.toString()), bad.toString());
    }

    /** Forty-odd words: well past the tiny fixtures' 64-token context once a few tokens are reserved. */
    private static final String LONG = "The harbour reopened on Monday after a week of repairs to the main pier, and the first ferries "
            + "arrived before noon while officials counted passengers, checked tickets and thanked the divers who had worked "
            + "through the storm to lift the broken beams out of the water before the tide turned again.";

    @Test
    void aPromptPastTheContextIsCutFromTheLeftWithAWarning() throws Exception {
        for (String fixture : List.of("tiny-gpt2", "tiny-llama")) {
            CliRun r = CliRun.of("complete", "--model", TestPaths.fixture(fixture).toString(), "--prompt", LONG, "--max-new-tokens", "8", "--json");
            assertEquals(0, r.code(), r.toString());
            JsonNode n = JSON.readTree(r.out().lines().findFirst().orElseThrow());
            assertEquals(64 - 8, n.get("prompt_tokens").asInt(), fixture + ": the prompt fills the context less the new tokens: " + n);
            int cut = n.get("prompt_tokens_cut").asInt();
            assertTrue(cut > 0, n.toString());
            assertEquals(8, n.get("tokens").size(), n.toString());
            assertTrue(r.err().contains("prompt 1 has " + (56 + cut) + " tokens; the model's context is 64"), r.err());
        }
    }

    @Test
    void truncateErrorRefusesALongPromptOnOneLine() {
        CliRun r = CliRun.of("complete", "--model", model(), "--prompt", LONG, "--max-new-tokens", "8", "--truncate", "error");
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("model's context of 64"), r.err());
        CliRun noRoom = CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "64");
        assertEquals(2, noRoom.code(), noRoom.toString());
        assertTrue(noRoom.err().contains("max_new_tokens 64 leaves no room"), noRoom.err());
        assertEquals(2, CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--truncate", "right").code());
    }

    @Test
    void fileUriModelsWork() throws Exception {
        String uri = TestPaths.fixture("tiny-gpt2").toUri().toString();
        assertTrue(uri.startsWith("file:/"), uri);
        CliRun viaUri = CliRun.of("complete", "--model", uri, "--prompt", PROMPT, "--max-new-tokens", "4");
        assertEquals(0, viaUri.code(), viaUri.toString());
        assertEquals(CliRun.of("complete", "--model", model(), "--prompt", PROMPT, "--max-new-tokens", "4").out(), viaUri.out());
    }

    @Test
    void aCheckpointRootPointsAtExport(@TempDir Path tmp) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ckpt"));
        Files.createDirectories(root.resolve("step-4"));
        Files.writeString(root.resolve("latest"), "4");
        CliRun r = CliRun.of("complete", "--model", root.toString(), "--prompt", PROMPT);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("is a training checkpoint") && r.err().contains("zerospark export --checkpoint " + root), r.err());
    }

    private static CliRun run(String[] base, String... more) {
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliRun.of(args);
    }

    private static JsonNode json(CliRun r) throws Exception {
        assertEquals(0, r.code(), r.toString());
        return JSON.readTree(r.out().lines().findFirst().orElseThrow());
    }
}
