package dev.zerospark.data.clean;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
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

    /**
     * True when the text holds HTML tags (not just entities or a literal "<CPML>"-style ticker in angle brackets):
     * some tag {@code <\s*\/?\s*NAME[^>]*>} whose NAME is a common HTML element, followed by a word boundary,
     * with no line break before its {@code >}. A hand-written scan in one pass: the regex it replaces
     * ({@code <\s*\/?\s*[a-zA-Z][a-zA-Z0-9]*[^>]*>}) rescanned the rest of the text from every {@code <} that has
     * no {@code >} after it, so a body of many {@code <} took minutes. Finds exactly the tags the regex found: a
     * tag runs from its {@code <} to the first {@code >} after its name, and the scan resumes after it.
     */
    public static boolean looksLikeHtml(String s) {
        int n = s.length();
        int gt = -1; // the first '>' at or after the last place asked for; -1 until asked
        for (int lt = s.indexOf('<'); lt >= 0; ) {
            int i = lt + 1;
            while (i < n && Whitespace.isRegexSpace(s.charAt(i))) i++;
            if (i < n && s.charAt(i) == '/') i++;
            while (i < n && Whitespace.isRegexSpace(s.charAt(i))) i++;
            int name = i;
            while (i < n && isAsciiLetterOrDigit(s.charAt(i)) && (i > name || !Character.isDigit(s.charAt(i)))) i++;
            if (i == name) { // no tag name: the regex tries again at the next character
                lt = s.indexOf('<', lt + 1);
                continue;
            }
            if (gt < i) gt = s.indexOf('>', i);
            if (gt < 0) return false; // no '>' after this '<', so none after any later one either
            if (KNOWN_TAGS.contains(s.substring(name, i).toLowerCase(java.util.Locale.ROOT))
                    && (i == n || !isRegexWordChar(s.charAt(i))) && noLineBreak(s, i, gt)) return true;
            lt = s.indexOf('<', gt + 1);
        }
        return false;
    }

    /** The element names that make a text HTML (the regex's {@code p|br|div|...|h[1-6]|...}). */
    private static final Set<String> KNOWN_TAGS = Set.of("p", "br", "div", "span", "a", "b", "i", "em", "strong",
            "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "td", "html", "body", "head", "script",
            "style", "nav", "footer", "header", "article", "main", "section", "img", "meta", "title", "aside", "form");

    /** What java.util.regex's {@code \\b} counts as a word character: a letter or digit in any script, or '_'. */
    private static boolean isRegexWordChar(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        int lower = c | 0x20;
        return (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9');
    }

    /** Whether {@code s[from, to)} holds none of the line terminators that the regex {@code .} does not match. */
    private static boolean noLineBreak(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') return false;
        }
        return true;
    }

    public record Extracted(String title, String text, String published) {}

    public static Extracted extract(Document doc) {
        String title = meta(doc, "og:title");
        if (title == null && !doc.title().isBlank()) title = doc.title().strip();
        String published = meta(doc, "article:published_time");
        removeAll(doc.select("script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, button, [role=navigation], [role=banner], [role=contentinfo]"));
        List<Element> noisy = new ArrayList<>();
        for (Element e : doc.getAllElements()) {
            String classes = e.className() + " " + e.id();
            if (!classes.isBlank() && BOILERPLATE.matcher(classes).find() && e != doc.body()) noisy.add(e);
        }
        removeAll(noisy);

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
        removeAll(doc.select("script, style, noscript, template, nav, footer, aside, form, iframe"));
        return blocksText(doc.body());
    }

    /**
     * Removes the elements from the tree, rebuilding each parent's children once. jsoup removes one node by
     * shifting and renumbering the siblings after it, so removing many siblings one by one (a page of thousands of
     * {@code <nav>} or ad blocks) was quadratic in them.
     */
    static void removeAll(List<Element> elements) {
        Set<Node> gone = Collections.newSetFromMap(new IdentityHashMap<>());
        gone.addAll(elements);
        Set<Element> parents = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Element e : elements) if (e.parent() != null) parents.add(e.parent());
        for (Element parent : parents) {
            List<Node> kept = new ArrayList<>(parent.childNodeSize());
            for (Node c : parent.childNodes()) if (!gone.contains(c)) kept.add(c);
            parent.empty(); // detaches every child, so re-adding the kept ones moves nothing twice
            parent.appendChildren(kept);
        }
    }

    /**
     * The parent whose {@code <p>} children hold the most text (the first such parent in document order on a tie).
     * Each parent is measured once: measuring it again for each of its paragraphs was quadratic in them.
     */
    static Element densest(Document doc) {
        Element best = null;
        int bestLen = 0;
        Set<Element> measured = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Element p : doc.select("p")) {
            Element parent = p.parent();
            if (parent == null || !measured.add(parent)) continue;
            int len = 0;
            for (Element sib : parent.children()) if (sib.tagName().equals("p")) len += sib.text().length();
            if (len > bestLen) {
                bestLen = len;
                best = parent;
            }
        }
        return best;
    }

    /**
     * Block elements become paragraphs; their inline text is joined by single spaces. Only the outermost blocks are
     * taken (a nested block's text is in its parent's), found in one walk that does not descend into a block: the
     * former check of every block's ancestors against the list of blocks was quadratic in the blocks.
     */
    static String blocksText(Element root) {
        StringBuilder sb = new StringBuilder();
        boolean[] anyBlock = {false};
        NodeTraversor.filter(new NodeFilter() {
            @Override
            public FilterResult head(Node node, int depth) {
                if (!(node instanceof Element e) || !BLOCKS.contains(e.normalName())) return FilterResult.CONTINUE;
                anyBlock[0] = true;
                String t = e.text().strip();
                if (!t.isEmpty()) {
                    if (sb.length() > 0) sb.append("\n\n");
                    sb.append(t);
                }
                return FilterResult.SKIP_CHILDREN;
            }

            @Override
            public FilterResult tail(Node node, int depth) {
                return FilterResult.CONTINUE;
            }
        }, root);
        if (!anyBlock[0]) return root.wholeText().strip().isEmpty() ? "" : root.text();
        return sb.toString();
    }

    private static final Set<String> BLOCKS = Set.of("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre");

    private static String meta(Document doc, String property) {
        Element m = doc.selectFirst("meta[property=" + property + "], meta[name=" + property + "]");
        if (m == null) return null;
        String c = m.attr("content").strip();
        return c.isEmpty() ? null : c;
    }
}
