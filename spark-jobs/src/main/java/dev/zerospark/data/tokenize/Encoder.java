package dev.zerospark.data.tokenize;

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
 * line, body, EOS) and, when the article has a target, the SFT pair. The SFT prompt is the template with
 * {title} and {article} filled in; the article is the part cut when the pair exceeds {@code seq_len}, so the
 * instruction and the response survive. {@code loss_mask} is 1 only on response tokens (and the EOS after them).
 */
public final class Encoder implements Serializable {
    private static final ArrayType INTS = DataTypes.createArrayType(DataTypes.IntegerType, false);

    private final String tokenizer;
    private final int batchSize;
    private final int seqLen;
    private final String promptTemplate;
    private final boolean appendEos;

    public Encoder(String tokenizer, int batchSize, int seqLen, String promptTemplate, boolean appendEos) {
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.promptTemplate = promptTemplate;
        this.appendEos = appendEos;
    }

    public static final int ARTICLE = 0;
    public static final int BLOCK = 1;
    public static final int TAIL = 2;

    /**
     * One output row per article ({@code kind} 0: the input columns plus n_tokens and the SFT columns, null without
     * a target), per packed block (1: block_id, block_split, input_ids) and per leftover tail of a split (2:
     * block_split, input_ids, tail_first_doc). One pass tokenizes and packs; the job then writes each kind.
     */
    public static StructType outputSchema(StructType in) {
        StructType s = new StructType().add("kind", DataTypes.IntegerType, false);
        for (var f : in.fields()) s = s.add(f.name(), f.dataType(), true);
        return s.add("n_tokens", DataTypes.IntegerType, true)
                .add("sft_input_ids", INTS, true)
                .add("sft_loss_mask", INTS, true)
                .add("sft_prompt_tokens", DataTypes.IntegerType, true)
                .add("block_id", DataTypes.StringType, true)
                .add("block_split", DataTypes.StringType, true)
                .add("input_ids", INTS, true)
                .add("tail_first_doc", DataTypes.StringType, true);
    }

    public static String lmText(String title, String text) {
        return title == null || title.isEmpty() ? text : title + "\n\n" + text;
    }

    /**
     * The texts one article is tokenized as: the LM text, and with a target the SFT pieces (prompt head with the
     * title, article, prompt tail, response with a leading space). Public so the benchmark encodes the same texts.
     */
    public static void addTexts(List<String> out, String promptTemplate, String title, String text, String target) {
        out.add(lmText(title, text));
        if (target == null) return;
        int cut = promptTemplate.indexOf("{article}");
        String t = title == null ? "" : title;
        out.add(promptTemplate.substring(0, cut).replace("{title}", t));
        out.add(text);
        out.add(promptTemplate.substring(cut + "{article}".length()).replace("{title}", t));
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
            return new Columns(schema, schema.fieldIndex("title"), schema.fieldIndex("text"), schema.fieldIndex("target"),
                    schema.fieldIndex("split"), schema.fieldIndex("content_hash"));
        }

    }

    private void nextBatch(HfTokenizer tok, Packer packer, Columns c, List<InternalRow> in, int width, UnsafeProjection toUnsafe,
                           ArrayDeque<InternalRow> out) {
        // One flat list of texts per native call: lm text, and for SFT rows prompt-head, article, prompt-tail, response.
        List<String> texts = new ArrayList<>();
        int[] sftAt = new int[in.size()];
        for (int i = 0; i < in.size(); i++) {
            InternalRow r = in.get(i);
            String target = string(r, c.target());
            sftAt[i] = target == null ? -1 : texts.size() + 1;
            addTexts(texts, promptTemplate, string(r, c.title()), string(r, c.text()), target);
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
                int[][] pair = sftPair(ids[k], ids[k + 1], ids[k + 2], ids[k + 3], tok);
                values[at + 1] = UnsafeArrayData.fromPrimitiveArray(pair[0]);
                values[at + 2] = UnsafeArrayData.fromPrimitiveArray(pair[1]);
                values[at + 3] = pair[2][0];
                k += 4;
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

    /** {ids (seq_len), loss mask (seq_len), {prompt token count}}: right-padded with the pad id, mask 0 there. */
    int[][] sftPair(int[] head, int[] article, int[] tail, int[] target, HfTokenizer tok) {
        int[] response = appendEos ? Arrays.copyOf(target, target.length + 1) : target;
        if (appendEos) response[response.length - 1] = tok.eosId();
        int budget = Math.max(0, seqLen - head.length - tail.length - response.length);
        int keep = Math.min(article.length, budget);
        int[] ids = new int[seqLen];
        int[] mask = new int[seqLen];
        Arrays.fill(ids, tok.padId());
        int n = 0;
        for (int[] part : new int[][] {head, Arrays.copyOf(article, keep), tail}) {
            for (int v : part) if (n < seqLen) ids[n++] = v;
        }
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
