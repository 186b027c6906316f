package dev.zerospark.data.clean;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Main-content extraction from HTML with jsoup: boilerplate elements (nav, header, footer, aside, script, style,
 * forms, and elements whose class or id says menu/sidebar/cookie/share/related/comments/ads) are removed, then the
 * {@code <article>} (else {@code <main>}, else the element with the most paragraph text) is turned into
 * paragraphs separated by blank lines. Entities are decoded by the parser.
 */
public final class HtmlText {
    private HtmlText() {}

    private static final Pattern BOILERPLATE = Pattern.compile(
            "(?i)(^|[-_ ])(nav|navbar|menu|footer|header|sidebar|cookie|banner|share|social|related|comments?|advert|ads?|promo|newsletter|breadcrumbs?|subscribe)($|[-_ ])");
    private static final Pattern TAG = Pattern.compile("<\\s*/?\\s*[a-zA-Z][a-zA-Z0-9]*[^>]*>");

    /** True when the text holds HTML tags (not just entities or a literal "<CPML>"-style ticker in angle brackets). */
    public static boolean looksLikeHtml(String s) {
        if (s.indexOf('<') < 0) return false;
        var m = TAG.matcher(s);
        int tags = 0;
        while (m.find()) {
            String t = m.group().toLowerCase();
            if (t.matches("<\\s*/?\\s*(p|br|div|span|a|b|i|em|strong|h[1-6]|ul|ol|li|table|tr|td|html|body|head|script|style|nav|footer|header|article|main|section|img|meta|title|aside|form)\\b.*")) tags++;
            if (tags > 0) return true;
        }
        return false;
    }

    public record Extracted(String title, String text, String published) {}

    public static Extracted extract(Document doc) {
        String title = meta(doc, "og:title");
        if (title == null && !doc.title().isBlank()) title = doc.title().strip();
        String published = meta(doc, "article:published_time");
        doc.select("script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button, [role=navigation], [role=banner], [role=contentinfo]").remove();
        List<Element> noisy = new ArrayList<>();
        for (Element e : doc.getAllElements()) {
            String classes = e.className() + " " + e.id();
            if (!classes.isBlank() && BOILERPLATE.matcher(classes).find() && e != doc.body()) noisy.add(e);
        }
        noisy.forEach(Element::remove);

        Element root = doc.selectFirst("article");
        if (root == null) root = doc.selectFirst("main");
        if (root == null) root = densest(doc);
        if (root == null) root = doc.body() != null ? doc.body() : doc;
        Element h1 = root.selectFirst("h1");
        if (title == null && h1 != null) title = h1.text().strip();
        if (h1 != null && title != null && h1.text().strip().equals(title)) h1.remove();
        return new Extracted(title, blocksText(root), published);
    }

    /** Text of an HTML fragment (an article body field holding markup), paragraphs on their own lines. */
    public static String fragmentText(String html) {
        Document doc = Jsoup.parseBodyFragment(html);
        doc.select("script, style, noscript, template, nav, footer, aside, form, iframe").remove();
        return blocksText(doc.body());
    }

    private static Element densest(Document doc) {
        Element best = null;
        int bestLen = 0;
        for (Element p : doc.select("p")) {
            Element parent = p.parent();
            if (parent == null) continue;
            int len = 0;
            for (Element sib : parent.children()) if (sib.tagName().equals("p")) len += sib.text().length();
            if (len > bestLen) {
                bestLen = len;
                best = parent;
            }
        }
        return best;
    }

    /** Block elements become paragraphs; their inline text is joined by single spaces. */
    private static String blocksText(Element root) {
        Elements blocks = root.select("p, h1, h2, h3, h4, h5, h6, li, blockquote, pre");
        if (blocks.isEmpty()) return root.wholeText().strip().isEmpty() ? "" : root.text();
        StringBuilder sb = new StringBuilder();
        for (Element b : blocks) {
            if (b.parents().stream().anyMatch(p -> blocks.contains(p))) continue; // nested block: parent has it
            String t = b.text().strip();
            if (t.isEmpty()) continue;
            if (sb.length() > 0) sb.append("\n\n");
            sb.append(t);
        }
        return sb.toString();
    }

    private static String meta(Document doc, String property) {
        Element m = doc.selectFirst("meta[property=" + property + "], meta[name=" + property + "]");
        if (m == null) return null;
        String c = m.attr("content").strip();
        return c.isEmpty() ? null : c;
    }
}
