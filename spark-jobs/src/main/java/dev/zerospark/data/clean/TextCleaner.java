package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.ingest.Reasons;
import org.jsoup.parser.Parser;

import java.io.Serializable;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
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

    private static final Pattern TRAILER_LINE = Pattern.compile("[ \\t]*\\(?(?:Reuter|Reuters|REUTER|REUTERS|AP|AFP|UPI)\\)?[ \\t]*");
    private static final Pattern DATELINE = Pattern.compile(
            "\\A\\s*[A-Z][A-Za-z .,'&]{1,60}?,\\s+[A-Z][a-z]{2,8}\\.?\\s+\\d{1,2}\\s*(?:\\((?:Reuters|Reuter|AP|AFP|UPI)\\))?\\s*[-\u2013\u2014]{1,2}\\s*"
            + "|\\A\\s*[A-Z][A-Z .,'&]{1,60}\\s*\\((?:Reuters|Reuter|AP|AFP|UPI)\\)\\s*[-\u2013\u2014]{1,2}\\s*");
    // The domain's labels are bounded ({0,30}, not *): Java's regex engine recurses once per repetition of a group,
    // so "x@a.a.a..." a megabyte long overflowed the stack and failed the task. Real addresses have a few labels.
    private static final Pattern EMAIL = Pattern.compile("(?<![\\w.+-])[\\w.+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+){0,30}\\.[A-Za-z]{2,}");
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
        String s = HtmlText.looksLikeHtml(body) ? HtmlText.fragmentText(body) : unescape(body);
        s = nfkc(s);
        s = s.replace("\r\n", "\n").replace('\r', '\n').replace('\t', ' ');
        s = removeControls(s);
        if (stripWire) {
            s = stripTrailer(s.stripTrailing());
            Matcher dateline = DATELINE.matcher(s);
            if (dateline.lookingAt()) s = s.substring(dateline.end());
        }
        String text = paragraphs(s);
        if (maskEmails && text.indexOf('@') >= 0) text = EMAIL.matcher(text).replaceAll("[EMAIL]");
        if (maskPhones && mayHoldPhone(text)) text = PHONE.matcher(text).replaceAll("[PHONE]");

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
        String t = removeControls(nfkc(unescape(s)));
        t = collapseSpaces(t, 0, t.length()).strip();
        return t.isEmpty() ? null : t;
    }

    // The helpers below are hand-written scans rather than regexes: cleaning runs on every record, and the regex
    // versions (kept in the comments) cost more than tokenizing. Each produces exactly what its regex did.

    /** jsoup's entity decoder allocates a parser per call, so text without '&' skips it. */
    private static String unescape(String s) {
        return s.indexOf('&') < 0 ? s : Parser.unescapeEntities(s, false);
    }

    /** NFKC leaves ASCII unchanged. */
    private static String nfkc(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) return Normalizer.normalize(streamSafe(s), Normalizer.Form.NFKC);
        }
        return s;
    }

    /** Combining marks in a row before a U+034F joiner goes in (the limit of Unicode's stream-safe text format). */
    static final int MAX_MARKS = 30;

    /**
     * The text with U+034F (combining grapheme joiner, a starter) after every {@value #MAX_MARKS}th combining mark
     * of a longer run, as Unicode's stream-safe text format (UAX #15) does. The JDK's normalizer reorders a
     * combining sequence by insertion sort, quadratic in its length: a megabyte of alternating marks took about a
     * minute. No script needs 30 marks on one base, so real text is returned as it is.
     */
    static String streamSafe(String s) {
        StringBuilder sb = null;
        int run = 0;
        int copied = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            int type = cp < 0x300 ? Character.UNASSIGNED : Character.getType(cp); // no mark below U+0300
            boolean mark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
            run = mark ? run + 1 : 0;
            if (run > MAX_MARKS) {
                if (sb == null) sb = new StringBuilder(s.length() + s.length() / MAX_MARKS);
                sb.append(s, copied, i).append('\u034F');
                copied = i;
                run = 1;
            }
            i = next;
        }
        return sb == null ? s : sb.append(s, copied, s.length()).toString();
    }

    /** {@code [\p{Cc}\u200B\u2060\uFEFF&&[^\n\t]]} removed. */
    static String removeControls(String s) {
        int i = 0;
        while (i < s.length() && !isControl(s.charAt(i))) i++;
        if (i == s.length()) return s;
        StringBuilder sb = new StringBuilder(s.length()).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isControl(c)) sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isControl(char c) {
        if (c < 0x20) return c != '\n' && c != '\t';
        if (c < 0x7F) return false;
        return c <= 0x9F || c == '\u200B' || c == '\u2060' || c == '\uFEFF';
    }

    /** A last line that is only a wire-service sign-off ("Reuter", "(AP)") is removed with its newline. */
    static String stripTrailer(String s) {
        int nl = s.lastIndexOf('\n');
        int from = nl + 1;
        if (!TRAILER_LINE.matcher(s).region(from, s.length()).matches()) return s;
        return s.substring(0, Math.max(0, nl));
    }

    /**
     * Splits at paragraph breaks ({@code \n[ \t]*\n\s*|\n[ \t]{2,}}), collapses {@code [\s\u00A0]+} to one
     * space inside each paragraph, strips it, drops empty ones and joins the rest with newlines.
     */
    static String paragraphs(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int start = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            if (s.charAt(i) != '\n') {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) j++;
            int breakEnd = -1;
            if (j < n && s.charAt(j) == '\n') {
                breakEnd = j + 1;
                while (breakEnd < n && Whitespace.isRegexSpace(s.charAt(breakEnd))) breakEnd++;
            } else if (j - (i + 1) >= 2) {
                breakEnd = j;
            }
            if (breakEnd < 0) {
                i++;
                continue;
            }
            appendParagraph(out, s, start, i);
            start = breakEnd;
            i = breakEnd;
        }
        appendParagraph(out, s, start, n);
        return out.toString();
    }

    private static void appendParagraph(StringBuilder out, String s, int from, int to) {
        String p = collapseSpaces(s, from, to).strip();
        if (p.isEmpty()) return;
        if (out.length() > 0) out.append('\n');
        out.append(p);
    }

    /** {@code [\s\u00A0]+} replaced by one space in {@code s[from, to)}. */
    static String collapseSpaces(String s, int from, int to) {
        return Whitespace.collapse(s, from, to, true);
    }

    /** PHONE needs a run of 3+ digits, one of " .-", then a digit; text without that shape skips the regex. */
    static boolean mayHoldPhone(String s) {
        int run = 0;
        for (int i = 0; i + 2 < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                run++;
            } else {
                if (run >= 3 && (c == ' ' || c == '.' || c == '-') && s.charAt(i + 1) >= '0' && s.charAt(i + 1) <= '9') return true;
                run = 0;
            }
        }
        return false;
    }

    /** Share of characters that are neither letters, digits, marks nor whitespace. */
    static double symbolRatio(String s) {
        int symbols = 0;
        int total = 0;
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c < 0x80) { // ASCII without the Unicode tables
                i++;
                total++;
                int lower = c | 0x20;
                boolean plain = (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
                if (!plain) symbols++;
                continue;
            }
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
        int start = 0;
        int n = body.length();
        for (int i = 0; i <= n; i++) {
            char c = i < n ? body.charAt(i) : '\n';
            // \R: \r\n, or one of \n \u000B \f \r \u0085 \u2028 \u2029
            if (c != '\n' && c != 0x0B && c != '\f' && c != '\r' && c != '\u0085' && c != '\u2028' && c != '\u2029') continue;
            String t = body.substring(start, i).strip();
            if (c == '\r' && i + 1 < n && body.charAt(i + 1) == '\n') i++;
            start = i + 1;
            if (t.length() < 3) continue;
            lines++;
            if (!seen.add(t)) repeats++;
        }
        return lines < 4 ? 0 : (double) repeats / lines;
    }
}
