package dev.zerospark.data.eval.internal;

import dev.zerospark.data.eval.CompareJob.Pair;
import dev.zerospark.data.eval.CompareOptions;
import dev.zerospark.data.eval.PipelineScores;
import dev.zerospark.eval.Bootstrap;
import dev.zerospark.eval.RougeScores;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * report.html of {@code eval compare}: self-contained (inline CSS and SVG, no script, no outside resource), every
 * text from the tables HTML-escaped, since riddles are model output and may hold anything.
 */
public final class CompareReport {
    /** Articles shown side by side. */
    static final int EXAMPLES = 5;
    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"};

    private CompareReport() {}

    public static String html(CompareOptions o, long genVersion, long refVersion, boolean hasLatency,
                              List<PipelineScores> scores, List<Pair> pairs) {
        boolean withModel = scores.stream().map(PipelineScores::pipeline).distinct().count() < scores.size();
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>zerospark eval compare</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}td.n{text-align:right}")
                .append("pre{white-space:pre-wrap;margin:0;max-width:40em}</style></head><body>\n")
                .append("<h1>Riddle pipelines compared</h1>\n<p>Generations ").append(esc(o.generations())).append(" (version ")
                .append(genVersion).append("), references ").append(esc(o.references())).append(" (version ").append(refVersion)
                .append("). ROUGE F per pair (stemmer ").append(o.stemmer() ? "on" : "off").append("), mean per pipeline with a ")
                .append("percentile bootstrap 95% interval: ").append(o.resamples()).append(" resamples, seed ").append(o.seed())
                .append(". Error rows score as an empty riddle. ")
                .append(hasLatency ? "Latency is the mean of the table's latency_ms." : "The generations table records no latency, so none is shown.")
                .append("</p>\n");
        h.append(chart(scores, withModel));
        for (PipelineScores s : scores) {
            h.append("<h2>").append(esc(s.label(withModel))).append("</h2>\n<table><tr><th>metric</th><th>mean</th><th>95% interval</th></tr>\n");
            for (String type : RougeScores.TYPES) {
                Bootstrap.Interval i = s.rougeF().get(type);
                h.append("<tr><td>").append(type).append(" F</td><td class=\"n\">").append(num(i.mean())).append("</td><td class=\"n\">[")
                        .append(num(i.low())).append(", ").append(num(i.high())).append("]</td></tr>\n");
            }
            row(h, "pairs scored", String.valueOf(s.pairs()));
            row(h, "errors", String.valueOf(s.errors()));
            row(h, "truncated prompts", String.valueOf(s.truncated()));
            if (s.latencyMsMean() != null) row(h, "mean latency (ms)", num(s.latencyMsMean()));
            row(h, "perplexity (exp mean token NLL)", s.perplexity() == null ? "not computed" : num(s.perplexity()));
            row(h, "model id", esc(s.modelId()));
            h.append("</table>\n");
        }
        h.append(examples(scores, pairs, withModel));
        return h.append("</body></html>\n").toString();
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><td>").append(name).append("</td><td class=\"n\" colspan=\"2\">").append(value).append("</td></tr>\n");
    }

    /** Bars of the mean F per ROUGE type and pipeline, with the interval as a whisker; the axis runs 0 to 1. */
    static String chart(List<PipelineScores> scores, boolean withModel) {
        int bar = 18, gap = 14, left = 40, top = 20, height = 200;
        int groupWidth = scores.size() * bar + gap;
        int width = left + RougeScores.TYPES.size() * groupWidth + 20;
        int legend = 18 * scores.size();
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(top + height + 40 + legend)
                .append("\" role=\"img\" aria-label=\"mean ROUGE F with 95% intervals\">\n");
        for (int t = 0; t <= 4; t++) {
            double v = t / 4.0;
            int y = top + height - (int) Math.round(v * height);
            s.append("<line x1=\"").append(left).append("\" x2=\"").append(width - 10).append("\" y1=\"").append(y).append("\" y2=\"").append(y)
                    .append("\" stroke=\"#ddd\"/><text x=\"2\" y=\"").append(y + 4).append("\" font-size=\"10\">").append(num(v)).append("</text>\n");
        }
        for (int k = 0; k < RougeScores.TYPES.size(); k++) {
            String type = RougeScores.TYPES.get(k);
            int x0 = left + k * groupWidth;
            for (int p = 0; p < scores.size(); p++) {
                Bootstrap.Interval i = scores.get(p).rougeF().get(type);
                int x = x0 + p * bar;
                int y = top + height - (int) Math.round(i.mean() * height);
                int lo = top + height - (int) Math.round(i.low() * height);
                int hi = top + height - (int) Math.round(i.high() * height);
                int cx = x + bar / 2;
                s.append("<rect x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(bar - 2).append("\" height=\"")
                        .append(top + height - y).append("\" fill=\"").append(COLORS[p % COLORS.length]).append("\"><title>")
                        .append(esc(scores.get(p).label(withModel))).append(' ').append(type).append(' ').append(num(i.mean()))
                        .append(" [").append(num(i.low())).append(", ").append(num(i.high())).append("]</title></rect>")
                        .append("<line x1=\"").append(cx).append("\" x2=\"").append(cx).append("\" y1=\"").append(lo).append("\" y2=\"").append(hi)
                        .append("\" stroke=\"#000\"/>\n");
            }
            s.append("<text x=\"").append(x0).append("\" y=\"").append(top + height + 15).append("\" font-size=\"11\">").append(type).append("</text>\n");
        }
        for (int p = 0; p < scores.size(); p++) {
            int y = top + height + 30 + 18 * p;
            s.append("<rect x=\"").append(left).append("\" y=\"").append(y).append("\" width=\"12\" height=\"12\" fill=\"")
                    .append(COLORS[p % COLORS.length]).append("\"/><text x=\"").append(left + 18).append("\" y=\"").append(y + 10)
                    .append("\" font-size=\"11\">").append(esc(scores.get(p).label(withModel))).append("</text>\n");
        }
        return s.append("</svg>\n").toString();
    }

    /** The first articles (by id) that every compared pipeline has, each with its reference and every riddle. */
    static String examples(List<PipelineScores> scores, List<Pair> pairs, boolean withModel) {
        Map<String, Map<String, Pair>> byArticle = new LinkedHashMap<>();
        for (Pair p : pairs) byArticle.computeIfAbsent(p.articleId(), k -> new LinkedHashMap<>()).put(p.pipeline() + "\u0000" + p.modelId(), p);
        Set<String> ids = new TreeSet<>();
        for (Map.Entry<String, Map<String, Pair>> e : byArticle.entrySet()) {
            if (e.getValue().size() == scores.size()) ids.add(e.getKey());
        }
        List<String> shown = new ArrayList<>(ids).subList(0, Math.min(EXAMPLES, ids.size()));
        StringBuilder h = new StringBuilder("<h2>Examples</h2>\n<table><tr><th>article</th><th>reference</th>");
        for (PipelineScores s : scores) h.append("<th>").append(esc(s.label(withModel))).append("</th>");
        h.append("</tr>\n");
        for (String id : shown) {
            Map<String, Pair> row = byArticle.get(id);
            h.append("<tr><td>").append(esc(id)).append("</td><td><pre>").append(esc(row.values().iterator().next().reference())).append("</pre></td>");
            for (PipelineScores s : scores) {
                Pair p = row.get(s.pipeline() + "\u0000" + s.modelId());
                h.append("<td><pre>").append(esc(p.prediction())).append("</pre>").append(p.error() ? "<br><i>error</i>" : "")
                        .append("<br><small>rougeL F ").append(num(p.scores().rougeL().f())).append("</small></td>");
            }
            h.append("</tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    /** HTML-escapes text for element content and double-quoted attributes. */
    public static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
