package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import dev.zerospark.data.ingest.Reasons;
import dev.zerospark.testing.TestPaths;
import org.junit.jupiter.api.Test;

import java.text.Normalizer;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextCleanerTest {
    private final TextCleaner cleaner = new TextCleaner(PrepareConfig.Clean.defaults());

    @Test
    void reutersBodiesLoseTrailerKeepTickersAndUnwrapLines() throws Exception {
        Path dir = TestPaths.testData().resolve("corpora/reuters-tm/acq");
        int checked = 0;
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String xml = Files.readString(f);
                Matcher m = Pattern.compile("(?s)<BODY>(.*)</BODY>").matcher(xml);
                if (!m.find()) continue;
                TextCleaner.Result r = cleaner.clean(m.group(1));
                if (r.text() == null) continue; // a very short wire item may fall under min_chars
                checked++;
                String t = r.text();
                assertFalse(t.endsWith("Reuter"), f + ": trailer kept: ..." + t.substring(Math.max(0, t.length() - 40)));
                assertFalse(t.contains("&lt;") || t.contains("&apos;"), f + ": entities left");
                assertFalse(t.contains("  ") || t.contains("\t"), f + ": whitespace not normalized");
                for (String para : t.split("\n")) assertFalse(para.isBlank(), f + ": empty paragraph");
            }
        }
        assertTrue(checked >= 40, "checked " + checked + " Reuters bodies");

        String first = Files.readString(dir.resolve("reut-00001.xml"));
        Matcher m = Pattern.compile("(?s)<BODY>(.*)</BODY>").matcher(first);
        assertTrue(m.find());
        String t = cleaner.clean(m.group(1)).text();
        assertTrue(t.startsWith("Computer Terminal Systems Inc said it has completed the sale"), t);
        assertTrue(t.contains("<Sedio N.V.> of Lugano"), "ticker entity decoded: " + t);
        assertTrue(t.contains("Computer Terminal's outstanding"), t);
        assertTrue(t.endsWith("terminals."), t);
        assertEquals(7, t.split("\n").length, "one line per wire paragraph");
    }

    @Test
    void datelinesMasksAndFilters() {
        String body = "NEW YORK, March 3 (Reuters) - Acme Corp said it agreed to buy Widget Inc for 40 mln dlrs in cash, "
                + "according to a statement. Contact press@acme.com or call (212) 555-0187 for details.\n Reuter\n";
        String t = cleaner.clean(body).text();
        assertTrue(t.startsWith("Acme Corp said"), t);
        assertTrue(t.contains("Contact [EMAIL] or call [PHONE] for details."), t);
        assertTrue(t.contains("40 mln dlrs"), "plain numbers are not phones: " + t);
        assertTrue(cleaner.clean(body.replace("NEW YORK, March 3 (Reuters) - ", "LONDON (Reuters) - ")).text().startsWith("Acme Corp"));

        assertEquals(Reasons.MISSING_BODY, cleaner.clean("  ").reason());
        assertEquals(Reasons.EMPTY_AFTER_CLEANING, cleaner.clean("<div><script>var a = 1;</script><img src=x></div>").reason());
        assertEquals(Reasons.TOO_SHORT, cleaner.clean("Too short.").reason());
        assertEquals(Reasons.SYMBOL_RATIO, cleaner.clean("$$$ %%% ### @@@ !!! ".repeat(20)).reason());
        assertEquals(Reasons.REPEATED_LINES, cleaner.clean(("Subscribe to our newsletter today\n").repeat(8) + "A real sentence about the markets and the economy.").reason());
        assertNull(cleaner.clean("The caf\u0065\u0301 \uFB01nanced a \u00A0deal\u0007 worth 12 mln dlrs and the board approved it on Monday after a long meeting.").reason());
        assertTrue(cleaner.clean("The caf\u0065\u0301 \uFB01nanced a \u00A0deal\u0007 worth 12 mln dlrs and the board approved it on Monday after a long meeting.")
                .text().startsWith("The café financed a deal worth"), "NFKC, control chars, nbsp");
        String html = "<p>Shares of Acme rose &amp; fell in a volatile session on Tuesday as investors weighed the offer.</p><p>Second paragraph with enough words to pass.</p>";
        assertEquals("Shares of Acme rose & fell in a volatile session on Tuesday as investors weighed the offer.\nSecond paragraph with enough words to pass.",
                cleaner.clean(html).text());
    }

    private static final Duration BOUND = Duration.ofSeconds(20);

    @Test
    void aMegabyteOfDomainLabelsAfterAnAtSignIsMaskedWithoutOverflowingTheStack() {
        String body = "Write to press@acme.com today. Then x@" + "a.".repeat(1 << 19) + "com and more.";
        TextCleaner lenient = new TextCleaner(new PrepareConfig.Clean(null, 5_000_000, null, 1.0, null, null, null, null, null));
        String t = assertTimeoutPreemptively(BOUND, () -> lenient.clean(body).text());
        assertTrue(t.startsWith("Write to [EMAIL] today. Then "), t.substring(0, 60));
        assertTrue(t.endsWith("com and more."), "the label chain is left as text past 31 labels");
    }

    @Test
    void aMegabyteOfCombiningMarksNormalizesInLinearTime() {
        String zalgo = "a" + "\u0301\u0316".repeat(1 << 18); // 1 MB in UTF-8: marks of classes 230 and 220, alternating
        String s = assertTimeoutPreemptively(BOUND, () -> TextCleaner.streamSafe(zalgo));
        assertEquals(zalgo.length() + (zalgo.length() - 2) / TextCleaner.MAX_MARKS, s.length(), "one joiner per 30 marks");
        TextCleaner.Result r = assertTimeoutPreemptively(BOUND, () -> cleaner.clean("Headline text " + zalgo));
        assertEquals(Reasons.TOO_LONG, r.reason());
        String normal = "The cafe\u0301 na\u00EFve \u1EC7 Zu\u0308rich";
        assertSame(normal, TextCleaner.streamSafe(normal), "real text is left as it is");
        assertEquals(Normalizer.normalize(normal, Normalizer.Form.NFKC), cleaner.cleanShort(normal));
    }
}
