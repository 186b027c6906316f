package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.ingest.Reasons;
import org.jsoup.parser.Parser;

import java.io.Serializable;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns a raw article body into clean text, or names the quality rule it fails. Order matters: markup and
 * entities first (so "&amp;lt;" style escapes decode once), then NFKC, control characters, wire-service
 * boilerplate (needs the original line layout), whitespace, masking, and finally the length/quality filters.
 */
public final class TextCleaner implements Serializable {
    /** Text, or a quarantine reason with a human-readable detail. */
    public record Result(String text, String reason, String detail) {
        static Result ok(String text) {
            return new Result(text, null, null);
        }

        static Result reject(String reason, String detail) {
            return new Result(null, reason, detail);
        }
    }

    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}\\u200B\\u2060\\uFEFF&&[^\\n\\t]]");
    private static final Pattern TRAILER = Pattern.compile("(?:\\A|\\n)[ \\t]*\\(?(?:Reuter|Reuters|REUTER|REUTERS|AP|AFP|UPI)\\)?[ \\t]*\\z");
    private static final Pattern DATELINE = Pattern.compile(
            "\\A\\s*[A-Z][A-Za-z .,'&]{1,60}?,\\s+[A-Z][a-z]{2,8}\\.?\\s+\\d{1,2}\\s*(?:\\((?:Reuters|Reuter|AP|AFP|UPI)\\))?\\s*[-\u2013\u2014]{1,2}\\s*"
            + "|\\A\\s*[A-Z][A-Z .,'&]{1,60}\\s*\\((?:Reuters|Reuter|AP|AFP|UPI)\\)\\s*[-\u2013\u2014]{1,2}\\s*");
    /** A paragraph break: a blank line, or a newline followed by an indent of two or more (wire-copy layout). */
    private static final Pattern PARAGRAPH = Pattern.compile("\\n[ \\t]*\\n\\s*|\\n[ \\t]{2,}");
    private static final Pattern SPACES = Pattern.compile("[\\s\\u00A0]+");
    private static final Pattern EMAIL = Pattern.compile("(?<![\\w.+-])[\\w.+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
    private static final Pattern PHONE = Pattern.compile(
            "(?<![\\w+])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{2,4}\\)[ .-]?|\\d{2,4}[ .-])\\d{3,4}[ .-]\\d{3,4}(?![\\w])");

    private final int minChars;
    private final int maxChars;
    private final double maxSymbolRatio;
    private final double maxRepeatedLineRatio;
    private final boolean stripWire;
    private final boolean maskEmails;
    private final boolean maskPhones;

    public TextCleaner(PrepareConfig.Clean c) {
        this.minChars = c.minChars();
        this.maxChars = c.maxChars();
        this.maxSymbolRatio = c.maxSymbolRatio();
        this.maxRepeatedLineRatio = c.maxRepeatedLineRatio();
        this.stripWire = c.stripWireBoilerplate();
        this.maskEmails = c.maskEmails();
        this.maskPhones = c.maskPhones();
    }

    public Result clean(String body) {
        if (body == null || body.isBlank()) return Result.reject(Reasons.MISSING_BODY, "body is missing or blank");
        String s = HtmlText.looksLikeHtml(body) ? HtmlText.fragmentText(body) : Parser.unescapeEntities(body, false);
        s = Normalizer.normalize(s, Normalizer.Form.NFKC);
        s = s.replace("\r\n", "\n").replace('\r', '\n').replace('\t', ' ');
        s = CONTROL.matcher(s).replaceAll("");
        if (stripWire) {
            s = TRAILER.matcher(s.stripTrailing()).replaceAll("");
            s = DATELINE.matcher(s).replaceFirst("");
        }
        List<String> paragraphs = new ArrayList<>();
        for (String p : PARAGRAPH.split(s)) {
            String joined = SPACES.matcher(p).replaceAll(" ").strip();
            if (!joined.isEmpty()) paragraphs.add(joined);
        }
        String text = String.join("\n", paragraphs);
        if (maskEmails) text = EMAIL.matcher(text).replaceAll("[EMAIL]");
        if (maskPhones) text = PHONE.matcher(text).replaceAll("[PHONE]");

        if (text.isEmpty()) return Result.reject(Reasons.EMPTY_AFTER_CLEANING, "no text left after removing markup");
        if (text.length() > maxChars) return Result.reject(Reasons.TOO_LONG, text.length() + " chars > max_chars " + maxChars);
        if (text.length() < minChars) return Result.reject(Reasons.TOO_SHORT, text.length() + " chars < min_chars " + minChars);
        double symbols = symbolRatio(text);
        if (symbols > maxSymbolRatio) {
            return Result.reject(Reasons.SYMBOL_RATIO, String.format("symbol ratio %.2f > %.2f", symbols, maxSymbolRatio));
        }
        double repeated = repeatedLineRatio(body);
        if (repeated > maxRepeatedLineRatio) {
            return Result.reject(Reasons.REPEATED_LINES, String.format("repeated line ratio %.2f > %.2f", repeated, maxRepeatedLineRatio));
        }
        return Result.ok(text);
    }

    /** Headlines and targets: entities, NFKC, control characters and whitespace only; null stays null. */
    public String cleanShort(String s) {
        if (s == null) return null;
        String t = Parser.unescapeEntities(s, false);
        t = Normalizer.normalize(t, Normalizer.Form.NFKC);
        t = CONTROL.matcher(t).replaceAll("");
        t = SPACES.matcher(t).replaceAll(" ").strip();
        return t.isEmpty() ? null : t;
    }

    /** Share of characters that are neither letters, digits, marks nor whitespace. */
    static double symbolRatio(String s) {
        int symbols = 0;
        int total = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            total++;
            if (!Character.isLetterOrDigit(cp) && !Character.isWhitespace(cp) && Character.getType(cp) != Character.NON_SPACING_MARK) symbols++;
        }
        return total == 0 ? 0 : (double) symbols / total;
    }

    /** Share of non-empty lines (of the raw body) that repeat an earlier line: spam and scraped menus. */
    static double repeatedLineRatio(String body) {
        Set<String> seen = new HashSet<>();
        int lines = 0;
        int repeats = 0;
        for (String line : body.split("\\R")) {
            String t = line.strip();
            if (t.length() < 3) continue;
            lines++;
            if (!seen.add(t)) repeats++;
        }
        return lines < 4 ? 0 : (double) repeats / lines;
    }
}
