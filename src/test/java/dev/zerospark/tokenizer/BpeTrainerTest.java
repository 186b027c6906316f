package dev.zerospark.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A trained tokenizer loads in DJL, compresses its training text, and round-trips any text exactly. */
class BpeTrainerTest {
    private static final String CORPUS = """
            The central bank said on Tuesday that it would hold interest rates steady.
            The bank said inflation was expected to ease later in the year, the bank said.
            Shares in the company rose after the company said profits would rise.
            """;

    @Test
    void trainedTokenizerLoadsInDjlAndRoundTrips(@TempDir Path dir) {
        Map<String, Long> counts = new HashMap<>();
        for (int rep = 0; rep < 3; rep++) {
            for (String w : ByteLevel.preTokenize(CORPUS)) counts.merge(w, 1L, Long::sum);
        }
        BpeModel model = new BpeTrainer(400, 2, List.of("<|endoftext|>", "<|pad|>")).train(counts);
        assertTrue(model.merges().size() > 20, "learned merges: " + model.merges().size());
        assertEquals(258 + model.merges().size(), model.vocab().size());
        TokenizerJsonWriter.write(model, dir);

        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertEquals(0, tok.eosId());
            assertEquals(1, tok.padId());
            String seen = "The bank said";
            assertTrue(tok.encode(seen).length < seen.length(), "merges compress training text");
            for (String text : List.of("", "  Leading and trailing   spaces,\ttabs\nand newlines  \n\n",
                    "Unicode: café naïve Zürich — “quotes” 北京 🚀 emoji 👩‍👩‍👧", "\u0000\u0007 control \r\n",
                    "Ω≈ç√∫ ℌ𝔢𝔩𝔩𝔬 ﬁ NFKC-unnormalised", CORPUS)) {
                int[] ids = tok.encode(text);
                for (int id : ids) assertTrue(id >= 2 && id < tok.vocabSize(), "id " + id + " of " + text);
                assertEquals(text, tok.decode(ids, false), "round trip");
            }
            // The same counts give the same merges.
            BpeModel again = new BpeTrainer(400, 2, List.of("<|endoftext|>", "<|pad|>")).train(counts);
            assertEquals(model.vocab(), again.vocab());
            assertArrayEquals(model.merges().get(5), again.merges().get(5));
        }
    }
}
