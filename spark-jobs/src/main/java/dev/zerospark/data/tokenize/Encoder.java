package dev.zerospark.data.tokenize;

import dev.zerospark.table.Articles;
import dev.zerospark.table.LmBlocks;
import dev.zerospark.template.PromptTemplate;
import dev.zerospark.template.RenderedPrompt;
import dev.zerospark.template.TemplateInput;
import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import static dev.zerospark.spark.InternalRows.string;
import static dev.zerospark.spark.InternalRows.utf8;

/**
 * Tokenizes articles inside {@code mapPartitions}, a batch of rows at a time on the task's own core: the LM text (title, blank
 * line, body, EOS) and, when the article has a target, the SFT pair. The SFT prompt is the template rendered for the
 * article with the room the response leaves in {@code seq_len}: its text and ids are exactly
 * {@link PromptTemplate#render}'s, which is what {@code generate} feeds the model, so the article is the part cut
 * and the instruction and the response survive. {@code loss_mask} is 1 only on response tokens (and the EOS after them).
 */
public final class Encoder implements Serializable {
    private static final ArrayType INTS = DataTypes.createArrayType(DataTypes.IntegerType, false);

    private final String tokenizer;
    private final int batchSize;
    private final int seqLen;
    private final PromptTemplate template;
    private final boolean appendEos;

    public Encoder(String tokenizer, int batchSize, int seqLen, PromptTemplate template, boolean appendEos) {
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.template = template;
        this.appendEos = appendEos;
    }

    public static final int ARTICLE = 0;
    public static final int BLOCK = 1;
    public static final int TAIL = 2;

    /** The article rows' SFT columns; the job renames them to {@code sft_pairs}' columns. */
    public static final String SFT_INPUT_IDS = "sft_input_ids";
    public static final String SFT_LOSS_MASK = "sft_loss_mask";
    public static final String SFT_PROMPT_TOKENS = "sft_prompt_tokens";
    public static final String SFT_PROMPT = "sft_prompt";
    public static final String SFT_TRUNCATED = "sft_truncated";

    /**
     * One output row per article ({@code kind} 0: the input columns plus n_tokens and the SFT columns, null without
     * a target: ids, loss mask, prompt token count, prompt text, and whether the prompt's article was cut), per packed block (1: block_id, block_split, input_ids) and per leftover tail of a split (2:
     * block_split, input_ids, tail_first_doc). One pass tokenizes and packs; the job then writes each kind.
     */
    public static StructType outputSchema(StructType in) {
        StructType s = new StructType().add("kind", DataTypes.IntegerType, false);
        for (var f : in.fields()) s = s.add(f.name(), f.dataType(), true);
        return s.add(Articles.N_TOKENS, DataTypes.IntegerType, true)
                .add(SFT_INPUT_IDS, INTS, true)
                .add(SFT_LOSS_MASK, INTS, true)
                .add(SFT_PROMPT_TOKENS, DataTypes.IntegerType, true)
                .add(SFT_PROMPT, DataTypes.StringType, true)
                .add(SFT_TRUNCATED, DataTypes.BooleanType, true)
                .add(LmBlocks.BLOCK_ID, DataTypes.StringType, true)
                .add("block_split", DataTypes.StringType, true)
                .add(LmBlocks.INPUT_IDS, INTS, true)
                .add("tail_first_doc", DataTypes.StringType, true);
    }

    public static String lmText(String title, String text) {
        return title == null || title.isEmpty() ? text : title + "\n\n" + text;
    }

    /**
     * The texts one article is tokenized as in the common case: the LM text, and with a target the whole prompt
     * ({@link PromptTemplate#fill}) and the response with a leading space. A prompt too long for its pair is
     * rendered again, shorter. Public so the benchmark encodes the same texts.
     */
    public static void addTexts(List<String> out, PromptTemplate template, String title, String text, String target) {
        out.add(lmText(title, text));
        if (target == null) return;
        out.add(template.fill(TemplateInput.of(title, text)));
        out.add(" " + target);
    }

    /**
     * Encodes one partition. Input rows are Spark's internal rows of {@code inSchema}, which needs title, text,
     * target, split and content_hash; output rows are independent {@code UnsafeRow}s of {@link #outputSchema}. The
     * article's columns pass through as Spark holds them, and token arrays go in as primitive copies. Converting
     * through {@link org.apache.spark.sql.Row} boxed every MinHash value on the way in and converted every token id
     * one by one on the way out: the largest Java cost of this stage in the profile.
     */
    public Iterator<InternalRow> encode(StructType inSchema, Iterator<InternalRow> rows) {
        HfTokenizer tok = TokenizerCache.get(tokenizer);
        Packer packer = new Packer(seqLen);
        StructType outSchema = outputSchema(inSchema);
        UnsafeProjection toUnsafe = UnsafeProjection.create(outSchema);
        Columns in = Columns.of(inSchema);
        return new Iterator<>() {
            private final ArrayDeque<InternalRow> ready = new ArrayDeque<>();
            private boolean tailsDone;

            public boolean hasNext() {
                while (ready.isEmpty()) {
                    if (rows.hasNext()) {
                        List<InternalRow> batch = new ArrayList<>(batchSize);
                        while (rows.hasNext() && batch.size() < batchSize) batch.add(rows.next().copy()); // the source reuses its row
                        nextBatch(tok, packer, in, batch, outSchema.size(), toUnsafe, ready);
                    } else if (!tailsDone) {
                        tailsDone = true;
                        for (Packer.Tail t : packer.tails()) ready.add(blockRow(outSchema.size(), TAIL, null, t.split(), t.ids(), t.firstDoc(), toUnsafe));
                    } else {
                        return false;
                    }
                }
                return true;
            }

            public InternalRow next() {
                if (!hasNext()) throw new NoSuchElementException();
                return ready.poll();
            }
        };
    }

    /** Ordinals of the input columns the encoder reads. */
    private record Columns(StructType schema, int title, int text, int target, int split, int contentHash) {
        static Columns of(StructType schema) {
            return new Columns(schema, schema.fieldIndex(Articles.TITLE), schema.fieldIndex(Articles.TEXT), schema.fieldIndex(Articles.TARGET),
                    schema.fieldIndex(Articles.SPLIT), schema.fieldIndex(Articles.CONTENT_HASH));
        }

    }

    private void nextBatch(HfTokenizer tok, Packer packer, Columns c, List<InternalRow> in, int width, UnsafeProjection toUnsafe,
                           ArrayDeque<InternalRow> out) {
        // One flat list of texts for one pass of native calls: lm text, and for SFT rows the whole prompt and the response.
        List<String> texts = new ArrayList<>();
        int[] sftAt = new int[in.size()];
        for (int i = 0; i < in.size(); i++) {
            InternalRow r = in.get(i);
            String target = string(r, c.target());
            sftAt[i] = target == null ? -1 : texts.size() + 1;
            addTexts(texts, template, string(r, c.title()), string(r, c.text()), target);
        }
        int[][] ids = tok.encodeEach(texts); // this task's core only: see HfTokenizer.encodeEach
        int k = 0;
        int fields = c.schema().size();
        for (int i = 0; i < in.size(); i++) {
            InternalRow r = in.get(i);
            int[] lm = Arrays.copyOf(ids[k], ids[k].length + 1);
            lm[lm.length - 1] = tok.eosId();
            k++;
            Object[] values = new Object[width];
            values[0] = ARTICLE;
            for (int f = 0; f < fields; f++) values[f + 1] = r.isNullAt(f) ? null : r.get(f, c.schema().fields()[f].dataType());
            int at = fields + 1;
            values[at] = lm.length;
            if (sftAt[i] >= 0) {
                int[] response = response(ids[k + 1], tok);
                RenderedPrompt prompt = prompt(TemplateInput.of(string(r, c.title()), string(r, c.text())), ids[k], response.length, tok);
                int[][] pair = sftPair(prompt.tokenIds(), response, tok.padId());
                values[at + 1] = UnsafeArrayData.fromPrimitiveArray(pair[0]);
                values[at + 2] = UnsafeArrayData.fromPrimitiveArray(pair[1]);
                values[at + 3] = pair[2][0];
                values[at + 4] = utf8(prompt.text());
                values[at + 5] = prompt.truncated();
                k += 2;
            }
            out.add(toUnsafe.apply(new GenericInternalRow(values)).copy());
            for (Packer.Block b : packer.add(string(r, c.split()), string(r, c.contentHash()), lm)) {
                out.add(blockRow(width, BLOCK, b.id(), b.split(), b.ids(), null, toUnsafe));
            }
        }
    }

    private static InternalRow blockRow(int width, int kind, String id, String split, int[] ids, String tailFirstDoc, UnsafeProjection toUnsafe) {
        Object[] values = new Object[width];
        values[0] = kind;
        values[width - 4] = utf8(id);
        values[width - 3] = utf8(split);
        values[width - 2] = UnsafeArrayData.fromPrimitiveArray(ids);
        values[width - 1] = utf8(tailFirstDoc);
        return toUnsafe.apply(new GenericInternalRow(values)).copy();
    }

    /** The target's ids, with EOS when configured. */
    private int[] response(int[] target, HfTokenizer tok) {
        if (!appendEos) return target;
        int[] response = Arrays.copyOf(target, target.length + 1);
        response[response.length - 1] = tok.eosId();
        return response;
    }

    /**
     * The prompt rendered with the room the response leaves: {@code seq_len - response}. When not even the
     * template with an empty article fits there, the prompt gets that much room (the article is left out) and the
     * response is what {@link #sftPair} cuts; only a title that alone fills {@code seq_len} gives a prompt longer
     * than the pair, whose ids are then cut at {@code seq_len} with no response left.
     */
    RenderedPrompt prompt(TemplateInput input, int[] filledIds, int responseTokens, HfTokenizer tok) {
        int budget = seqLen - responseTokens;
        if (filledIds.length > budget) { // else the common case: render encodes nothing again
            budget = Math.max(budget, tok.encode(template.fill(TemplateInput.of(input.title(), ""))).length);
        }
        return template.render(input, filledIds, tok, budget);
    }

    /** {ids (seq_len), loss mask (seq_len), {prompt token count}}: right-padded with the pad id, mask 0 there. */
    int[][] sftPair(int[] prompt, int[] response, int padId) {
        int[] ids = new int[seqLen];
        int[] mask = new int[seqLen];
        Arrays.fill(ids, padId);
        int n = Math.min(prompt.length, seqLen);
        System.arraycopy(prompt, 0, ids, 0, n);
        int promptTokens = n;
        for (int v : response) {
            if (n < seqLen) {
                mask[n] = 1;
                ids[n++] = v;
            }
        }
        return new int[][] {ids, mask, {promptTokens}};
    }

}
