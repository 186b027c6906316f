package dev.zerospark.data.ingest;

/**
 * Machine-readable quarantine reasons (the {@code reason} column), {@link #NOT_AN_ARTICLE}, which marks input
 * records that are not articles at all (WARC warcinfo, request, metadata, resource): counted, never quarantined, and
 * {@link #LSH_BUCKET_CAPPED}, a dedup fallback: counted, never quarantined.
 */
public final class Reasons {
    private Reasons() {}

    public static final String MALFORMED_JSON = "malformed_json";
    public static final String MALFORMED_CSV = "malformed_csv";
    public static final String MALFORMED_WARC = "malformed_warc";
    public static final String NOT_HTML = "not_html";
    public static final String INVALID_UTF8 = "invalid_utf8";
    public static final String MISSING_BODY = "missing_body";
    public static final String EMPTY_AFTER_CLEANING = "empty_after_cleaning";
    public static final String TOO_LONG = "too_long";
    public static final String TOO_SHORT = "too_short";
    public static final String SYMBOL_RATIO = "symbol_ratio";
    public static final String REPEATED_LINES = "repeated_lines";

    /**
     * Not a quarantine reason but a dedup fallback, counted in the run's {@code dedup_fallbacks}: documents in an LSH
     * bucket over {@code dedup.max_bucket_size}, compared with the bucket's earliest member and their neighbours in
     * band-key order instead of with every member (which is quadratic). Their exact dedup is unchanged.
     */
    public static final String LSH_BUCKET_CAPPED = "lsh_bucket_capped";

    /** Not a quarantine reason: the record is no article (its {@code detail} says what it is); see the class doc. */
    public static final String NOT_AN_ARTICLE = "not_an_article";
}
