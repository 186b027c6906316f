package dev.zerospark.data.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.config.PrepareConfig;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The partition encoder gives HF's ids (plus EOS) and well-formed SFT pairs, without a SparkSession. */
class EncoderTest {
    private static final Path TOK = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");
    private static final StructType IN = new StructType()
            .add("title", DataTypes.StringType).add("text", DataTypes.StringType).add("target", DataTypes.StringType)
            .add("content_hash", DataTypes.StringType).add("split", DataTypes.StringType);

    @Test
    void lmIdsAreReferenceIdsPlusEosAndSftMasksThePrompt() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(TOK.resolve("tokenizer_reference.json").toFile());
        List<Row> rows = new ArrayList<>();
        for (JsonNode s : ref.get("samples")) rows.add(new GenericRowWithSchema(new Object[] {null, s.get("text").asText(), null, "h", "train"}, IN));
        rows.add(new GenericRowWithSchema(new Object[] {"Oil cut", ref.get("samples").get(0).get("text").asText(), "What falls by a dollar fifty?", "h", "train"}, IN));

        int seqLen = 64;
        Encoder enc = new Encoder(TOK.toString(), 2, seqLen, PrepareConfig.Sft.DEFAULT_PROMPT, true);
        List<Row> out = new ArrayList<>();
        enc.encode(rows.iterator()).forEachRemaining(out::add);
        assertEquals(rows.size(), out.size());
        for (int i = 0; i < ref.get("samples").size(); i++) {
            List<Integer> expected = new ArrayList<>();
            ref.get("samples").get(i).get("ids").forEach(n -> expected.add(n.asInt()));
            expected.add(0); // EOS
            assertEquals(expected, out.get(i).getList(out.get(i).fieldIndex("lm_ids")), "sample " + i);
            assertTrue(out.get(i).isNullAt(out.get(i).fieldIndex("sft_input_ids")));
        }

        Row sft = out.get(out.size() - 1);
        List<Integer> ids = sft.getList(sft.fieldIndex("sft_input_ids"));
        List<Integer> mask = sft.getList(sft.fieldIndex("sft_loss_mask"));
        int prompt = sft.getInt(sft.fieldIndex("sft_prompt_tokens"));
        assertEquals(seqLen, ids.size());
        assertEquals(seqLen, mask.size());
        HfTokenizer tok = TokenizerCache.get(TOK.toString());
        int[] response = new int[seqLen];
        int n = 0;
        for (int i = 0; i < seqLen; i++) {
            if (i < prompt) assertEquals(0, mask.get(i), "prompt token " + i + " is masked");
            if (mask.get(i) == 1) response[n++] = ids.get(i);
        }
        assertEquals(" What falls by a dollar fifty?<|endoftext|>", tok.decode(java.util.Arrays.copyOf(response, n), false));
        for (int i = prompt + n; i < seqLen; i++) {
            assertEquals(tok.padId(), ids.get(i), "padding at " + i);
            assertEquals(0, mask.get(i));
        }
        String promptText = tok.decode(ids.subList(0, prompt).stream().mapToInt(Integer::intValue).toArray(), false);
        assertTrue(promptText.startsWith("Write a short riddle") && promptText.endsWith("Riddle:"), "article cut, instruction kept: " + promptText);
    }

    @Test
    void packerCutsBlocksOfSeqLenPlusOnePerSplit() {
        StructType s = new StructType().add("content_hash", DataTypes.StringType).add("split", DataTypes.StringType)
                .add("lm_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        List<Row> docs = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            List<Integer> ids = new ArrayList<>();
            for (int t = 0; t < 7; t++) ids.add(100 + d);
            ids.add(0);
            docs.add(new GenericRowWithSchema(new Object[] {"h" + d, d % 5 == 0 ? "validation" : "train", scala.jdk.javaapi.CollectionConverters.asScala(ids).toList()}, s));
        }
        Iterator<Row> blocks = new Packer(4, "run").pack(docs.iterator());
        List<Row> all = new ArrayList<>();
        blocks.forEachRemaining(all::add);
        // train: 8 docs x 8 tokens = 64 -> 12 blocks of 5; validation: 16 -> 3 blocks.
        assertEquals(12, all.stream().filter(r -> r.getString(1).equals("train")).count());
        assertEquals(3, all.stream().filter(r -> r.getString(1).equals("validation")).count());
        for (Row r : all) assertEquals(5, r.getList(2).size());
        assertEquals(List.of(101, 101, 101, 101, 101), all.stream().filter(r -> r.getString(1).equals("train")).findFirst().get().getList(2));
        assertEquals(all.size(), all.stream().map(r -> r.getString(0)).distinct().count(), "block ids unique");
    }
}
