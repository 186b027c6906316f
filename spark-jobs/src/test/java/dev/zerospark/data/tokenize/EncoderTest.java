package dev.zerospark.data.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerospark.table.Articles;
import dev.zerospark.template.PromptTemplates;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.testing.TestPaths;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The partition encoder gives HF's ids (plus EOS) and well-formed SFT pairs, without a SparkSession. */
class EncoderTest {
    private static final Path TOK = TestPaths.fixture("tokenizer-bytelevel-bpe-1024");
    private static final StructType IN = new StructType()
            .add(Articles.TITLE, DataTypes.StringType).add(Articles.TEXT, DataTypes.StringType).add(Articles.TARGET, DataTypes.StringType)
            .add(Articles.CONTENT_HASH, DataTypes.StringType).add(Articles.SPLIT, DataTypes.StringType);

    @Test
    void lmIdsAreReferenceIdsPlusEosAndSftMasksThePrompt() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(TOK.resolve("tokenizer_reference.json").toFile());
        List<InternalRow> rows = new ArrayList<>();
        for (JsonNode s : ref.get("samples")) rows.add(row(null, s.get("text").asText(), null, "h", "train"));
        rows.add(row("Oil cut", ref.get("samples").get(0).get("text").asText(), "What falls by a dollar fifty?", "h", "train"));

        int seqLen = 64;
        Encoder enc = new Encoder(TOK.toString(), 2, seqLen, PromptTemplates.RIDDLE, true);
        StructType outSchema = Encoder.outputSchema(IN);
        List<InternalRow> all = new ArrayList<>();
        // As a Spark plan hands rows over: one reused UnsafeRow buffer, which the encoder must copy before batching.
        UnsafeProjection reused = UnsafeProjection.create(IN);
        enc.encode(IN, rows.stream().<InternalRow>map(reused::apply).iterator()).forEachRemaining(all::add);
        List<InternalRow> out = all.stream().filter(r -> r.getInt(0) == Encoder.ARTICLE).toList();
        for (int i = 0; i < rows.size(); i++) {
            for (int c = 0; c < IN.size(); c++) {
                assertEquals(rows.get(i).get(c, DataTypes.StringType), out.get(i).get(c + 1, DataTypes.StringType), "input column " + IN.fields()[c].name() + " passes through");
            }
        }
        assertEquals(rows.size(), out.size());
        HfTokenizer tok = TokenizerCache.get(TOK.toString());
        List<Integer> stream = new ArrayList<>(); // every document's ids + EOS, in order: what the blocks must hold
        for (int i = 0; i < ref.get("samples").size(); i++) {
            List<Integer> expected = new ArrayList<>();
            ref.get("samples").get(i).get("ids").forEach(n -> expected.add(n.asInt()));
            expected.add(0); // EOS
            stream.addAll(expected);
            assertEquals(expected.size(), out.get(i).getInt(outSchema.fieldIndex(Articles.N_TOKENS)), "sample " + i);
            assertTrue(out.get(i).isNullAt(outSchema.fieldIndex(Encoder.SFT_INPUT_IDS)));
        }
        for (int id : tok.encode(Encoder.lmText("Oil cut", ref.get("samples").get(0).get("text").asText()))) stream.add(id);
        stream.add(0);
        // Blocks of seq_len + 1, then the partition's tail: together exactly the documents' ids in order.
        List<Integer> packed = new ArrayList<>();
        for (InternalRow r : all) {
            if (r.getInt(0) == Encoder.ARTICLE) continue;
            int[] ids = r.getArray(outSchema.fieldIndex(dev.zerospark.table.LmBlocks.INPUT_IDS)).toIntArray();
            if (r.getInt(0) == Encoder.BLOCK) assertEquals(seqLen + 1, ids.length);
            for (int id : ids) packed.add(id);
        }
        assertEquals(stream, packed, "reference ids + EOS per document, packed in order");
        assertEquals(1, all.stream().filter(r -> r.getInt(0) == Encoder.TAIL).count(), "one split, one tail");

        InternalRow sft = out.get(out.size() - 1);
        List<Integer> ids = ints(sft.getArray(outSchema.fieldIndex(Encoder.SFT_INPUT_IDS)).toIntArray());
        List<Integer> mask = ints(sft.getArray(outSchema.fieldIndex(Encoder.SFT_LOSS_MASK)).toIntArray());
        int prompt = sft.getInt(outSchema.fieldIndex(Encoder.SFT_PROMPT_TOKENS));
        assertEquals(seqLen, ids.size());
        assertEquals(seqLen, mask.size());
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

    /**
     * The SFT prompt's text and ids are the riddle template's rendering with the room the response leaves, the ids
     * {@code generate} feeds: the whole prompt encoded at once, not its pieces (which differ where BPE merges
     * across a piece's edge, as "\n\n" before the article does), and an article too long is cut from its end and
     * marked.
     */
    @Test
    void sftPromptIsTheTemplatesRenderingAndALongArticleIsCutAndMarked() {
        HfTokenizer tok = TokenizerCache.get(TOK.toString());
        String shortText = "Oil prices fell on Monday.";
        String longText = "Crude oil prices fell sharply on Monday after producers agreed to raise output. ".repeat(12);
        String riddle = "What falls by a dollar fifty?";
        List<InternalRow> rows = List.of(row("Oil cut", shortText, riddle, "h1", "train"), row("Oil slump", longText, riddle, "h2", "train"),
                row(null, longText + " More.", riddle, "h3", "train"), row("Oil cut", "    " + shortText, riddle, "h4", "train"));
        int seqLen = 96;
        Encoder enc = new Encoder(TOK.toString(), 8, seqLen, PromptTemplates.RIDDLE, true);
        StructType outSchema = Encoder.outputSchema(IN);
        List<InternalRow> out = new ArrayList<>();
        enc.encode(IN, rows.iterator()).forEachRemaining(r -> { if (r.getInt(0) == Encoder.ARTICLE) out.add(r); });
        assertEquals(4, out.size());
        int response = tok.encode(" " + riddle).length + 1; // + EOS
        for (int i = 0; i < rows.size(); i++) {
            InternalRow in = rows.get(i);
            String title = in.isNullAt(0) ? null : in.getUTF8String(0).toString();
            RenderedPrompt want = PromptTemplates.RIDDLE.render(TemplateInput.of(title, in.getUTF8String(1).toString()), tok, seqLen - response);
            InternalRow got = out.get(i);
            int promptTokens = got.getInt(outSchema.fieldIndex(Encoder.SFT_PROMPT_TOKENS));
            int[] ids = got.getArray(outSchema.fieldIndex(Encoder.SFT_INPUT_IDS)).toIntArray();
            assertArrayEquals(want.tokenIds(), java.util.Arrays.copyOf(ids, promptTokens), "row " + i + ": the prompt ids are render's");
            assertEquals(want.text(), got.getUTF8String(outSchema.fieldIndex(Encoder.SFT_PROMPT)).toString(), "row " + i);
            assertEquals(want.truncated(), got.getBoolean(outSchema.fieldIndex(Encoder.SFT_TRUNCATED)), "row " + i);
            assertEquals(seqLen, promptTokens + response + countPad(ids, promptTokens + response, tok.padId()), "row " + i + ": response follows whole");
        }
        assertFalse(out.get(0).getBoolean(outSchema.fieldIndex(Encoder.SFT_TRUNCATED)), "a short article is whole");
        assertTrue(out.get(1).getBoolean(outSchema.fieldIndex(Encoder.SFT_TRUNCATED)), "a long article is cut and marked");
        String cut = out.get(1).getUTF8String(outSchema.fieldIndex(Encoder.SFT_PROMPT)).toString();
        String head = "Write a short riddle that summarizes this news article.\n\nTitle: Oil slump\n\n";
        assertTrue(cut.startsWith(head) && cut.endsWith("\n\nRiddle:") && longText.startsWith(cut.substring(head.length(), cut.length() - "\n\nRiddle:".length())),
                "cut from the article's end: " + cut);

        // The pieces encoded apart (what the encoder did before) give other ids for the same text: this fixture
        // merges a newline with the spaces after it ("\n" + "   "), across the head's end and the article's start.
        String t = PromptTemplates.RIDDLE.text();
        int at = t.indexOf("{article}");
        int[] pieces = concat(tok.encode(t.substring(0, at).replace("{title}", "Oil cut")), tok.encode("    " + shortText), tok.encode(t.substring(at + "{article}".length())));
        int[] whole = out.get(3).getArray(outSchema.fieldIndex(Encoder.SFT_INPUT_IDS)).toIntArray();
        assertFalse(java.util.Arrays.equals(pieces, java.util.Arrays.copyOf(whole, out.get(3).getInt(outSchema.fieldIndex(Encoder.SFT_PROMPT_TOKENS)))),
                "piecewise ids differ from the whole prompt's");
    }

    private static int countPad(int[] ids, int from, int pad) {
        int n = 0;
        for (int i = from; i < ids.length; i++) if (ids[i] == pad) n++;
        return n;
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    @Test
    void packerCutsBlocksOfSeqLenPlusOnePerSplitAndPacksTheTails() {
        // Two "partitions" of 5 docs x 8 tokens each; seq_len 4 -> blocks of 5.
        List<Packer.Block> blocks = new ArrayList<>();
        List<Packer.Tail> tails = new ArrayList<>();
        for (int part = 0; part < 2; part++) {
            Packer p = new Packer(4);
            for (int d = part * 5; d < part * 5 + 5; d++) {
                int[] ids = new int[8];
                java.util.Arrays.fill(ids, 100 + d);
                ids[7] = 0;
                blocks.addAll(p.add(d % 5 == 0 ? "validation" : "train", "h" + d, ids));
            }
            tails.addAll(p.tails());
        }
        // Per partition: train 4 docs x 8 = 32 -> 6 blocks + 2 left; validation 8 -> 1 block + 3 left.
        assertEquals(12, blocks.stream().filter(b -> b.split().equals("train")).count());
        assertEquals(2, blocks.stream().filter(b -> b.split().equals("validation")).count());
        assertEquals(4, tails.size());
        for (Packer.Tail t : tails) assertEquals(t.split().equals("train") ? 2 : 3, t.ids().length, t.toString());
        // The driver joins the tails: train 2 + 2 = 4 (< 5, dropped); validation 3 + 3 = 6 -> 1 block, 1 dropped.
        List<Packer.Block> tailBlocks = new Packer(4).packTails(tails);
        assertEquals(1, tailBlocks.size());
        assertEquals("validation", tailBlocks.get(0).split());
        assertArrayEquals(new int[] {100, 100, 0, 105, 105}, tailBlocks.get(0).ids(), "tails in first-document order");
        for (Packer.Block b : blocks) assertEquals(5, b.ids().length);
        assertArrayEquals(new int[] {101, 101, 101, 101, 101}, blocks.stream().filter(b -> b.split().equals("train")).findFirst().orElseThrow().ids());
        List<String> ids = new ArrayList<>();
        blocks.forEach(b -> ids.add(b.id()));
        tailBlocks.forEach(b -> ids.add(b.id()));
        assertEquals(ids.size(), ids.stream().distinct().count(), "block ids unique");
        List<Packer.Block> reordered = new Packer(4).packTails(List.of(tails.get(3), tails.get(2), tails.get(1), tails.get(0)));
        assertEquals(tailBlocks.get(0).id(), reordered.get(0).id(), "tail packing does not depend on the order partitions finish in");
        assertArrayEquals(tailBlocks.get(0).ids(), reordered.get(0).ids());
    }

    private static List<Integer> ints(int[] values) {
        List<Integer> l = new ArrayList<>();
        for (int v : values) l.add(v);
        return l;
    }

    private static InternalRow row(String title, String text, String target, String hash, String split) {
        Object[] v = {title, text, target, hash, split};
        for (int i = 0; i < v.length; i++) v[i] = v[i] == null ? null : UTF8String.fromString((String) v[i]);
        return new GenericInternalRow(v);
    }
}
