package dev.zerospark.data.clean;

import dev.zerospark.config.PrepareConfig;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile HTML finishes in linear time. Each adversarial body is about 1 MB; the quadratic code it guards against
 * took minutes on each, so the bound (20 s, for a slow shared CI core) is no benchmark, only a guard.
 */
class HtmlTextTest {
    private static final Duration BOUND = Duration.ofSeconds(20);
    private static final int MB = 1 << 20;

    /** The regexes {@link HtmlText#looksLikeHtml} replaces: its answer must be theirs. */
    private static final Pattern TAG = Pattern.compile("<\\s*/?\\s*[a-zA-Z][a-zA-Z0-9]*[^>]*>");

    private static boolean byRegex(String s) {
        Matcher m = TAG.matcher(s);
        while (m.find()) {
            if (m.group().toLowerCase().matches("<\\s*/?\\s*(p|br|div|span|a|b|i|em|strong|h[1-6]|ul|ol|li|table|tr|td|html|body|head|script|style|nav|footer|header|article|main|section|img|meta|title|aside|form)\\b.*")) {
                return true;
            }
        }
        return false;
    }

    private static String repeat(String unit, int bytes) {
        return unit.repeat(bytes / unit.length());
    }

    @Test
    void manyOpenAngleBracketsWithoutACloseAreLinear() {
        String body = repeat("if a<b then ", MB); // every '<' starts a tag name, and no '>' ends one
        assertTimeoutPreemptively(BOUND, () -> assertFalse(HtmlText.looksLikeHtml(body)));
        String tail = body + "<p>now it is HTML</p>";
        assertTimeoutPreemptively(BOUND, () -> assertTrue(HtmlText.looksLikeHtml(tail)));
        TextCleaner cleaner = new TextCleaner(PrepareConfig.Clean.defaults());
        TextCleaner.Result r = assertTimeoutPreemptively(BOUND, () -> cleaner.clean(body));
        assertEquals("too_long", r.reason(), "a 1 MB body is over max_chars, and says so rather than hanging");
    }

    @Test
    void tagScanAgreesWithTheRegexItReplaces() {
        String[] pieces = {"<", ">", "/", " ", "\u00e9",  "\n", "\r", "p", "P", "br", "h1", "h7", "x", "_", "1", "a", "div", "=", "\"", "&lt;", "\u2028", "CPML",
                "<p>", "</b>", "<h1 ", "< /li", "<br/>", "<x>", "<P\n>", "<td_", "<a href=", "<ppp>", "<1p>"};
        Random rnd = new Random(11);
        int html = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(14); k > 0; k--) sb.append(pieces[rnd.nextInt(pieces.length)]);
            String s = sb.toString();
            boolean expected = byRegex(s);
            if (expected) html++;
            assertEquals(expected, HtmlText.looksLikeHtml(s), "looksLikeHtml(\"" + s.replace("\n", "\\n").replace("\r", "\\r") + "\")");
        }
        assertTrue(html > 1000 && html < 19_000, "the fuzz covers both answers: " + html + " HTML of 20000");
    }

    @Test
    void densestIsLinearInParagraphsOfOneParent() {
        // One parent of ~150k empty paragraphs and a second, shorter one holding the text.
        String html = "<div id=\"x\"><p>the words that count</p></div><div id=\"y\">" + repeat("<p></p>", MB) + "</div>";
        Document doc = Jsoup.parse(html);
        Element best = assertTimeoutPreemptively(BOUND, () -> HtmlText.densest(doc));
        assertNotNull(best);
        assertEquals("x", best.id());
    }

    @Test
    void blocksTextIsLinearInBlocks() {
        // ~100k list items ten levels down: each block's ancestors were looked up in the list of all blocks.
        int items = MB / "<li>i</li>".length();
        String html = "<div>".repeat(10) + "<ul><li>item <b>bold</b></li>" + repeat("<li>i</li>", MB) + "</ul>" + "</div>".repeat(10)
                + "<blockquote><p>inner</p> outer</blockquote>";
        Document doc = Jsoup.parseBodyFragment(html);
        String text = assertTimeoutPreemptively(BOUND, () -> HtmlText.blocksText(doc.body()));
        String[] paragraphs = text.split("\n\n");
        assertEquals(items + 2, paragraphs.length);
        assertEquals("item bold", paragraphs[0]);
        assertEquals("i", paragraphs[items]);
        assertEquals("inner outer", paragraphs[items + 1], "a nested block is part of its outermost block, once");
    }

    @Test
    void extractOfManyParagraphsIsLinear() {
        String para = "<p>Paragraph text of a page made of very many short paragraphs.</p>";
        String html = "<html><body><div class=\"content\">" + repeat(para, MB) + "</div></body></html>";
        HtmlText.Extracted ex = assertTimeoutPreemptively(BOUND, () -> HtmlText.extract(Jsoup.parse(html)));
        assertEquals(MB / para.length(), ex.text().split("\n\n").length);
    }

    @Test
    void manyBoilerplateSiblingsAreRemovedInLinearTime() {
        // 8 MB (a raised max_record_bytes): ~170k <nav> and as many ad blocks among the paragraphs of one parent.
        // Removing them one by one shifted every sibling after each: about two minutes.
        String unit = "<nav>menu</nav><p>kept text</p><div class=\"ad\">buy</div>";
        String html = "<html><body><div>" + repeat(unit, 8 * MB) + "</div></body></html>";
        HtmlText.Extracted ex = assertTimeoutPreemptively(BOUND, () -> HtmlText.extract(Jsoup.parse(html)));
        String[] paragraphs = ex.text().split("\n\n");
        assertEquals(8 * MB / unit.length(), paragraphs.length);
        assertTrue(java.util.Arrays.stream(paragraphs).allMatch("kept text"::equals), "menus and ads removed, paragraphs kept in order");
        String fragment = assertTimeoutPreemptively(BOUND, () -> HtmlText.fragmentText(repeat("<nav>menu</nav><p>kept</p>", 8 * MB)));
        assertEquals(8 * MB / "<nav>menu</nav><p>kept</p>".length(), fragment.split("\n\n").length);
    }
}
