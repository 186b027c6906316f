package dev.zerospark.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** DJL through {@link HfTokenizer} gives exactly HF tokenizers' ids, decodes and right-padded batch. */
class HfTokenizerTest {
    private static final Path DIR = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");

    @Test
    void idsDecodeAndPaddedBatchMatchReference() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("tokenizer_reference.json").toFile());
        try (HfTokenizer tok = HfTokenizer.load(DIR)) {
            assertEquals(1, tok.padId(), "pad id comes from tokenizer_config.json's pad_token, not DJL's default 0");
            assertEquals(0, tok.eosId());
            assertEquals(ref.get("vocab_size").asInt(), tok.vocabSize());

            List<String> texts = new ArrayList<>();
            for (JsonNode s : ref.get("samples")) {
                String text = s.get("text").asText();
                texts.add(text);
                assertArrayEquals(ints(s.get("ids")), tok.encode(text), "ids of " + text);
                assertEquals(s.get("decoded").asText(), tok.decode(tok.encode(text), true), "decode of " + text);
            }
            // The ids-only native paths and DJL's Encoding-building API give the same ids.
            int[][] batch = tok.encodeBatch(texts);
            int[][] each = tok.encodeEach(texts);
            int[][] viaEncodings = tok.encodeBatchWithEncodings(texts);
            for (int i = 0; i < texts.size(); i++) {
                int[] want = ints(ref.get("samples").get(i).get("ids"));
                assertArrayEquals(want, batch[i], "batch row " + i);
                assertArrayEquals(want, each[i], "encodeEach row " + i);
                assertArrayEquals(want, viaEncodings[i], "DJL Encoding row " + i);
            }
            assertEquals(0, tok.encodeBatch(List.of()).length);
            NullPointerException npe = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                    () -> tok.encodeBatch(java.util.Arrays.asList("fine", null)));
            org.junit.jupiter.api.Assertions.assertTrue(npe.getMessage().contains("null"), npe.getMessage());

            JsonNode pb = ref.get("padded_batch");
            List<String> pbTexts = new ArrayList<>();
            pb.get("texts").forEach(t -> pbTexts.add(t.asText()));
            PaddedBatch padded = tok.encodePadded(pbTexts);
            for (int i = 0; i < pbTexts.size(); i++) {
                assertArrayEquals(ints(pb.get("input_ids").get(i)), padded.inputIds()[i], "padded row " + i);
                assertArrayEquals(ints(pb.get("attention_mask").get(i)), padded.attentionMask()[i], "mask row " + i);
            }
        }
    }

    @Test
    void missingDirectoryNamesThePath(@org.junit.jupiter.api.io.TempDir Path empty) {
        TokenizerLoadException e = org.junit.jupiter.api.Assertions.assertThrows(TokenizerLoadException.class, () -> HfTokenizer.load(empty));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }
}
