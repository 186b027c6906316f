package dev.zerospark.data.tokenize;

import dev.zerospark.tokenizer.HfTokenizer;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Tokenizes articles inside {@code mapPartitions}, a batch of rows per native call: the LM text (title, blank
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

    /** The input schema plus lm_ids, sft_input_ids, sft_loss_mask, sft_prompt_tokens (sft_* null without target). */
    public static StructType outputSchema(StructType in) {
        return in.add("lm_ids", INTS, false)
                .add("sft_input_ids", INTS, true)
                .add("sft_loss_mask", INTS, true)
                .add("sft_prompt_tokens", DataTypes.IntegerType, true);
    }

    public static String lmText(String title, String text) {
        return title == null || title.isEmpty() ? text : title + "\n\n" + text;
    }

    public Iterator<Row> encode(Iterator<Row> rows) {
        HfTokenizer tok = TokenizerCache.get(tokenizer);
        return new Iterator<>() {
            private Iterator<Row> batch = java.util.Collections.emptyIterator();

            public boolean hasNext() {
                if (!batch.hasNext() && rows.hasNext()) batch = nextBatch(tok, rows);
                return batch.hasNext();
            }

            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return batch.next();
            }
        };
    }

    private Iterator<Row> nextBatch(HfTokenizer tok, Iterator<Row> rows) {
        List<Row> in = new ArrayList<>(batchSize);
        while (rows.hasNext() && in.size() < batchSize) in.add(rows.next());
        // One flat list of texts per native call: lm text, and for SFT rows prompt-head, article, prompt-tail, response.
        List<String> texts = new ArrayList<>();
        int[] sftAt = new int[in.size()];
        int cut = promptTemplate.indexOf("{article}");
        for (int i = 0; i < in.size(); i++) {
            Row r = in.get(i);
            String title = r.getAs("title");
            String text = r.getAs("text");
            String target = r.getAs("target");
            texts.add(lmText(title, text));
            sftAt[i] = -1;
            if (target != null) {
                sftAt[i] = texts.size();
                String t = title == null ? "" : title;
                texts.add(promptTemplate.substring(0, cut).replace("{title}", t));
                texts.add(text);
                texts.add(promptTemplate.substring(cut + "{article}".length()).replace("{title}", t));
                texts.add(" " + target);
            }
        }
        int[][] ids = tok.encodeBatch(texts);
        List<Row> out = new ArrayList<>(in.size());
        StructType schema = in.isEmpty() ? null : outputSchema(in.get(0).schema());
        int k = 0;
        for (int i = 0; i < in.size(); i++) {
            Row r = in.get(i);
            int[] lm = Arrays.copyOf(ids[k], ids[k].length + 1);
            lm[lm.length - 1] = tok.eosId();
            k++;
            Object sftIds = null;
            Object sftMask = null;
            Object promptTokens = null;
            if (sftAt[i] >= 0) {
                int[][] pair = sftPair(ids[k], ids[k + 1], ids[k + 2], ids[k + 3], tok);
                sftIds = boxed(pair[0]);
                sftMask = boxed(pair[1]);
                promptTokens = pair[2][0];
                k += 4;
            }
            Object[] values = new Object[r.length() + 4];
            for (int c = 0; c < r.length(); c++) values[c] = r.get(c);
            values[r.length()] = boxed(lm);
            values[r.length() + 1] = sftIds;
            values[r.length() + 2] = sftMask;
            values[r.length() + 3] = promptTokens;
            out.add(new GenericRowWithSchema(values, schema));
        }
        return out.iterator();
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

    /** Spark rows hold arrays as Scala sequences. */
    static scala.collection.immutable.Seq<Integer> boxed(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int v : a) l.add(v);
        return scala.jdk.javaapi.CollectionConverters.asScala(l).toList();
    }
}
