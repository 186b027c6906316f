package dev.zerospark.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The data pipeline ({@code prepare}): ingest, clean, deduplicate, tokenize and pack into Delta tables. */
public record PrepareConfig(
        @JsonPropertyDescription("input path, glob or URI (required)") String input,
        @JsonPropertyDescription("jsonl | parquet | csv | text | warc (default jsonl)") String format,
        @JsonPropertyDescription("directory holding tokenizer.json (required)") String tokenizer,
        @JsonPropertyDescription("output directory or URI for the Delta tables (required)") String output,
        @JsonPropertyDescription("tokens per training block (default 512)") Integer seqLen,
        @JsonPropertyDescription("input field (column) names") Fields fields,
        @JsonPropertyDescription("cleaning, masking and quality filters") Clean clean,
        @JsonPropertyDescription("exact and near-duplicate removal") Dedup dedup,
        @JsonPropertyDescription("supervised fine-tuning pairs, written when the input has the target field") Sft sft,
        @JsonPropertyDescription("fraction of articles (by hash of id) in the validation split (default 0.05)") Double validationFraction,
        @JsonPropertyDescription("texts per native tokenizer batch inside a partition (default 256)") Integer tokenizeBatchSize,
        @JsonPropertyDescription("MiB of input a read task takes: JSONL files are read by several tasks in byte ranges of this size, and small files"
                + " are packed together up to it, each also counting spark.sql.files.openCostInBytes (default 32)") Integer splitMb) {

    public PrepareConfig {
        format = Check.oneOf("format", Check.or(format, "jsonl"), "jsonl", "parquet", "csv", "text", "warc");
        seqLen = Check.positive("seq_len", Check.or(seqLen, 512));
        fields = Check.or(fields, Fields.defaults());
        clean = Check.or(clean, Clean.defaults());
        dedup = Check.or(dedup, Dedup.defaults());
        sft = Check.or(sft, Sft.defaults());
        validationFraction = Check.inRange("validation_fraction", Check.or(validationFraction, 0.05), 0.0, 1.0);
        tokenizeBatchSize = Check.positive("tokenize_batch_size", Check.or(tokenizeBatchSize, 256));
        splitMb = Check.positive("split_mb", Check.or(splitMb, 32));
    }

    public static PrepareConfig defaults() {
        return new PrepareConfig(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** A copy with the four locations and the block length replaced (used by the CLI and tests). */
    public PrepareConfig with(String input, String format, String tokenizer, String output, Integer seqLen) {
        return new PrepareConfig(input, format, tokenizer, output, seqLen, fields, clean, dedup, sft,
                validationFraction, tokenizeBatchSize, splitMb);
    }

    /** Names of the input fields (JSONL keys, Parquet/CSV columns). A missing optional field reads as null. */
    public record Fields(
            @JsonPropertyDescription("field holding the article id (default id); missing ids become source:offset") String id,
            @JsonPropertyDescription("field holding the headline (default title)") String title,
            @JsonPropertyDescription("field holding the article text (default body)") String body,
            @JsonPropertyDescription("field holding the publication date, ISO-8601; the earliest copy of a duplicate is kept (default published)") String published,
            @JsonPropertyDescription("field holding the source URL (default url)") String url,
            @JsonPropertyDescription("field holding an optional SFT target, e.g. riddle or summary (default riddle)") String target) {
        public Fields {
            id = Check.or(id, "id");
            title = Check.or(title, "title");
            body = Check.or(body, "body");
            published = Check.or(published, "published");
            url = Check.or(url, "url");
            target = Check.or(target, "riddle");
        }

        public static Fields defaults() {
            return new Fields(null, null, null, null, null, null);
        }
    }

    /** Text cleaning and quality filters; a record failing a filter goes to quarantine with the filter's reason. */
    public record Clean(
            @JsonPropertyDescription("minimum characters after cleaning (default 80)") Integer minChars,
            @JsonPropertyDescription("maximum characters after cleaning (default 200000)") Integer maxChars,
            @JsonPropertyDescription("maximum raw record size in bytes (default 1000000)") Integer maxRecordBytes,
            @JsonPropertyDescription("maximum share of characters that are neither letters, digits nor spaces (default 0.3)") Double maxSymbolRatio,
            @JsonPropertyDescription("maximum share of non-empty lines that repeat an earlier line (default 0.3)") Double maxRepeatedLineRatio,
            @JsonPropertyDescription("drop wire-service datelines and trailers such as a final 'Reuter' line (default true)") Boolean stripWireBoilerplate,
            @JsonPropertyDescription("replace e-mail addresses with [EMAIL] (default true)") Boolean maskEmails,
            @JsonPropertyDescription("replace phone numbers with [PHONE] (default true)") Boolean maskPhones,
            @JsonPropertyDescription("characters of the raw record kept in quarantine (default 2000)") Integer rawPrefixChars) {
        public Clean {
            minChars = Check.nonNegative("min_chars", Check.or(minChars, 80));
            maxChars = Check.positive("max_chars", Check.or(maxChars, 200_000));
            maxRecordBytes = Check.positive("max_record_bytes", Check.or(maxRecordBytes, 1_000_000));
            maxSymbolRatio = Check.inRange("max_symbol_ratio", Check.or(maxSymbolRatio, 0.3), 0.0, 1.0);
            maxRepeatedLineRatio = Check.inRange("max_repeated_line_ratio", Check.or(maxRepeatedLineRatio, 0.3), 0.0, 1.0);
            stripWireBoilerplate = Check.or(stripWireBoilerplate, true);
            maskEmails = Check.or(maskEmails, true);
            maskPhones = Check.or(maskPhones, true);
            rawPrefixChars = Check.positive("raw_prefix_chars", Check.or(rawPrefixChars, 2000));
            if (minChars > maxChars) throw Check.invalid("min_chars", "must be <= max_chars (" + maxChars + "), got " + minChars);
        }

        public static Clean defaults() {
            return new Clean(null, null, null, null, null, null, null, null, null);
        }
    }

    /** Exact dedup on the normalized-text hash, then MinHash LSH over word shingles; the earliest copy is kept. */
    public record Dedup(
            @JsonPropertyDescription("run near-duplicate detection (default true)") Boolean near,
            @JsonPropertyDescription("Jaccard similarity at or above which two articles are near-duplicates (default 0.8)") Double jaccardThreshold,
            @JsonPropertyDescription("words per shingle (default 5)") Integer shingleSize,
            @JsonPropertyDescription("LSH bands (default 16)") Integer bands,
            @JsonPropertyDescription("MinHash rows per band; bands x rows hashes per article (default 8)") Integer rows,
            @JsonPropertyDescription("classify on the driver, with no shuffle, when this run's clean records plus the table's articles"
                    + " number at most this (about 1.5 KB of driver heap each while it runs: a value that does not fit in half the driver's heap is refused at start); above it Spark jobs do it (default 100000; that fits a 512 MB driver; 0 = always Spark)")
            Integer localMaxRecords,
            @JsonPropertyDescription("LSH buckets (documents sharing a band key) with more members than this are not compared pair by pair, which is"
                    + " quadratic: each member is compared with the bucket's earliest member and its neighbour in band-key order, and counted"
                    + " under dedup_fallbacks.lsh_bucket_capped (default 256)")
            Integer maxBucketSize) {
        public Dedup {
            near = Check.or(near, true);
            jaccardThreshold = Check.inRange("jaccard_threshold", Check.or(jaccardThreshold, 0.8), 0.0, 1.0);
            shingleSize = Check.positive("shingle_size", Check.or(shingleSize, 5));
            bands = Check.positive("bands", Check.or(bands, 16));
            rows = Check.positive("rows", Check.or(rows, 8));
            localMaxRecords = Check.nonNegative("local_max_records", Check.or(localMaxRecords, 100_000));
            if (localMaxRecords > 100_000_000) {
                throw Check.invalid("local_max_records", "must be at most 100000000 (driver heap), got " + localMaxRecords);
            }
            maxBucketSize = Check.positive("max_bucket_size", Check.or(maxBucketSize, 256));
        }

        /** The keys before {@code max_bucket_size}, which takes its default. */
        public Dedup(Boolean near, Double jaccardThreshold, Integer shingleSize, Integer bands, Integer rows, Integer localMaxRecords) {
            this(near, jaccardThreshold, shingleSize, bands, rows, localMaxRecords, null);
        }

        public static Dedup defaults() {
            return new Dedup(null, null, null, null, null, null, null);
        }
    }

    /** How an article and its target become a prompt/response pair. */
    public record Sft(
            @JsonPropertyDescription("prompt template: a built-in id (riddle, instruct) or a local YAML template file (id, text"
                    + " with {title} and {article}, stop, optional max_article_tokens); the article is what gets cut when a pair"
                    + " exceeds seq_len (default riddle)") String template,
            @JsonPropertyDescription("append EOS to the response (default true)") Boolean appendEos) {
        public Sft {
            template = Check.or(template, "riddle");
            appendEos = Check.or(appendEos, true);
            if (template.isBlank()) throw Check.invalid("template", "must be a template id or file, got an empty string");
        }

        public static Sft defaults() {
            return new Sft(null, null);
        }
    }
}
