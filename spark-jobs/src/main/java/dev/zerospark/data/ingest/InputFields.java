package dev.zerospark.data.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.zerospark.config.PrepareConfig;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.col;

/**
 * The field names an input really has, for the hint a user needs when no record was usable (for example the body
 * is under {@code text}, not {@code body}). Read from the quarantined records' raw prefixes (JSONL lines, Parquet
 * rows as JSON) or a CSV file's header line.
 */
public final class InputFields {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int SAMPLE = 5;

    private InputFields() {}

    /** Field names seen in the first quarantined records of {@code runId}, in order of first appearance. */
    public static List<String> found(SparkSession spark, PrepareConfig cfg, String quarantineTable, String runId) {
        if (cfg.format().equals("csv")) {
            Row first = spark.read().text(cfg.input()).limit(1).collectAsList().stream().findFirst().orElse(null);
            return first == null ? List.of() : List.of(first.getString(0).split(","));
        }
        Set<String> names = new LinkedHashSet<>();
        for (Row r : spark.read().format("delta").load(quarantineTable).where(col("run_id").equalTo(runId))
                .select("raw_prefix").limit(SAMPLE).collectAsList()) {
            names.addAll(topLevelKeys(r.getString(0)));
        }
        return new ArrayList<>(names);
    }

    /** The top-level keys of a JSON object, as far as a (possibly cut) prefix of it goes. */
    static List<String> topLevelKeys(String prefix) {
        List<String> keys = new ArrayList<>();
        if (prefix == null) return keys;
        try (JsonParser p = JSON.createParser(prefix)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return keys;
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                keys.add(p.currentName());
                p.nextToken();
                p.skipChildren();
            }
        } catch (IOException cut) {
            // The prefix ends mid-value (raw prefixes are cut at clean.raw_prefix_chars): keep the keys read so far.
        }
        return keys;
    }
}
