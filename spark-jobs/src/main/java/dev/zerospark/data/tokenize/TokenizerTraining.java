package dev.zerospark.data.tokenize;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.clean.CleanStage;
import dev.zerospark.table.Articles;
import dev.zerospark.tokenizer.BpeModel;
import dev.zerospark.tokenizer.BpeTrainer;
import dev.zerospark.tokenizer.ByteLevel;
import dev.zerospark.tokenizer.TokenizerJsonWriter;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.desc;
import static org.apache.spark.sql.functions.sum;

/**
 * Byte-level BPE training split the usual way: Spark pre-tokenizes and counts words (combining per partition
 * first), the driver learns the merges from the word counts with {@link BpeTrainer}, and the result is written
 * as HF {@code tokenizer.json} + {@code tokenizer_config.json}. Special tokens: {@code <|endoftext|>} (id 0:
 * bos/eos/unk) and {@code <|pad|>} (id 1).
 */
public final class TokenizerTraining {
    private static final Logger LOG = LoggerFactory.getLogger(TokenizerTraining.class);
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|pad|>");
    private static final StructType COUNTS = new StructType()
            .add("word", DataTypes.StringType, false).add("n", DataTypes.LongType, false);

    private TokenizerTraining() {}

    /** Texts of an articles Delta table: title and text, as the LM blocks see them. */
    public static Dataset<String> articleTexts(SparkSession spark, String articlesTable) {
        return spark.read().format("delta").load(articlesTable)
                .select(col(Articles.TITLE), col(Articles.TEXT))
                .map((org.apache.spark.api.java.function.MapFunction<Row, String>) r -> Encoder.lmText(r.getString(0), r.getString(1)), Encoders.STRING());
    }

    /**
     * Texts of raw input files (any format {@code prepare} reads), ingested and cleaned exactly as {@code prepare}
     * does, so a first tokenizer can be trained before any table exists. Quarantined records are left out.
     */
    public static Dataset<String> rawTexts(SparkSession spark, PrepareConfig cfg) {
        return CleanStage.read(spark, cfg, "tokenizer-train").where(col("reason").isNull())
                .select(col("title"), col("text"))
                .map((org.apache.spark.api.java.function.MapFunction<Row, String>) r -> Encoder.lmText(r.getString(0), r.getString(1)), Encoders.STRING());
    }

    /**
     * Trains on {@code texts} and writes the tokenizer to {@code out}. At most {@code maxWords} distinct words
     * (the most frequent) reach the driver, which bounds its memory on large corpora.
     */
    public static BpeModel train(Dataset<String> texts, int vocabSize, int minFrequency, int maxWords, Path out) {
        MapPartitionsFunction<String, Row> count = TokenizerTraining::countPartition;
        List<Row> rows = texts.mapPartitions(count, Encoders.row(COUNTS))
                .groupBy("word").agg(sum("n").as("n"))
                .orderBy(desc("n"), col("word"))
                .limit(maxWords)
                .collectAsList();
        Map<String, Long> counts = new HashMap<>(rows.size() * 2);
        for (Row r : rows) counts.put(r.getString(0), r.getLong(1));
        LOG.info("training byte-level BPE: {} distinct words, vocab size {}", counts.size(), vocabSize);
        BpeModel model = new BpeTrainer(vocabSize, minFrequency, SPECIAL_TOKENS).train(counts);
        TokenizerJsonWriter.write(model, out);
        LOG.info("wrote tokenizer with {} tokens ({} merges) to {}", model.vocab().size(), model.merges().size(), out);
        return model;
    }

    private static Iterator<Row> countPartition(Iterator<String> texts) {
        Map<String, Long> local = new HashMap<>();
        while (texts.hasNext()) {
            String t = texts.next();
            if (t == null) continue;
            for (String w : ByteLevel.preTokenize(t)) local.merge(w, 1L, Long::sum);
        }
        List<Row> out = new ArrayList<>(local.size());
        local.forEach((w, n) -> out.add(RowFactory.create(w, n)));
        return out.iterator();
    }
}
