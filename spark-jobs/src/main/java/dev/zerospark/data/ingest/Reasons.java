package dev.zerospark.data.ingest;

/**
 * Machine-readable quarantine reasons (the {@code reason} column), and {@link #NOT_AN_ARTICLE}, which marks input
 * records that are not articles at all (WARC warcinfo, request, metadata, resource): counted, never quarantined.
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

    /** Not a quarantine reason: the record is no article (its {@code detail} says what it is); see the class doc. */
    public static final String NOT_AN_ARTICLE = "not_an_article";
}
