package dev.zerospark.training.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * A self-contained HTML report of a run: the loss panel (training loss, and validation loss where measured) above
 * the learning-rate panel, both over the step axis, with labelled axes, ticks and a legend. No script, no external
 * resource: it opens from any object store or an e-mail attachment.
 */
public final class LossPlot {
    private static final int W = 760;
    private static final int PANEL_H = 300;
    private static final int LR_H = 200;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String TRAIN = "#1f77b4";
    private static final String VAL = "#d62728";
    private static final String LR = "#2ca02c";

    private LossPlot() {}

    public static String html(String title, List<StepMetrics> steps) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head>"
                + "<body style=\"font-family:sans-serif\"><h2>" + escape(title) + "</h2>"
                + "<p>steps " + steps.get(0).step() + " to " + steps.get(steps.size() - 1).step() + " (" + steps.size() + " logged)</p>"
                + svg(steps) + "</body></html>\n";
    }

    /** Both panels in one SVG. */
    public static String svg(List<StepMetrics> steps) {
        if (steps.isEmpty()) throw new IllegalArgumentException("no steps to plot");
        double[] xr = range(steps, s -> s.step());
        if (xr[1] - xr[0] < 1) xr[1] = xr[0] + 1;
        int height = PANEL_H + LR_H;
        StringBuilder svg = new StringBuilder();
        svg.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">", W, height));
        svg.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>", W, height));
        Panel loss = new Panel(0, PANEL_H, xr, range2(steps), "loss");
        loss.frame(svg);
        loss.series(svg, steps, StepMetrics::loss, TRAIN, "");
        loss.series(svg, steps, StepMetrics::valLoss, VAL, " stroke-dasharray=\"6 3\"");
        legend(svg, W - RIGHT - 240, 22, TRAIN, "training loss");
        if (steps.stream().anyMatch(s -> Double.isFinite(s.valLoss()))) legend(svg, W - RIGHT - 110, 22, VAL, "validation loss");
        Panel lr = new Panel(PANEL_H, LR_H, xr, range(steps, StepMetrics::lr), "learning rate");
        lr.frame(svg);
        lr.series(svg, steps, StepMetrics::lr, LR, "");
        svg.append("</svg>");
        return svg.toString();
    }

    /** One plot area: its box, ticks and labels, and the mapping from data to pixels. */
    private record Panel(int top, int height, double[] x, double[] y, String yLabel) {
        double px(double v) {
            return LEFT + (v - x[0]) / (x[1] - x[0]) * (W - LEFT - RIGHT);
        }

        double py(double v) {
            return top + height - BOTTOM - (v - y[0]) / (y[1] - y[0]) * (height - TOP - BOTTOM);
        }

        void frame(StringBuilder svg) {
            int x0 = LEFT;
            int x1 = W - RIGHT;
            int y0 = top + TOP;
            int y1 = top + height - BOTTOM;
            svg.append(f("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>", x0, y0, x1 - x0, y1 - y0));
            for (double t : ticks(x[0], x[1])) {
                double p = px(t);
                svg.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>", p, y0, p, y1));
                svg.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>", p, y1, p, y1 + 5));
                svg.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", p, y1 + 18, label(t)));
            }
            for (double t : ticks(y[0], y[1])) {
                double p = py(t);
                svg.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>", x0, p, x1, p));
                svg.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"black\"/>", x0 - 5, p, x0, p));
                svg.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", x0 - 8, p + 4, label(t)));
            }
            svg.append(f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>", (x0 + x1) / 2, y1 + 36));
            svg.append(f("<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>",
                    (y0 + y1) / 2, (y0 + y1) / 2, yLabel));
        }

        /** A polyline through the finite values; a lone value is drawn as a dot so a single eval still shows. */
        void series(StringBuilder svg, List<StepMetrics> steps, ToDoubleFunction<StepMetrics> value, String color, String style) {
            List<String> points = new ArrayList<>();
            for (StepMetrics s : steps) {
                double v = value.applyAsDouble(s);
                if (Double.isFinite(v)) points.add(f("%.1f,%.1f", px(s.step()), py(v)));
            }
            if (points.isEmpty()) return;
            svg.append(f("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>", color, style, String.join(" ", points)));
            for (String p : points.size() <= 40 ? points : List.<String>of()) {
                String[] xy = p.split(",");
                svg.append(f("<circle cx=\"%s\" cy=\"%s\" r=\"2.5\" fill=\"%s\"/>", xy[0], xy[1], color));
            }
        }
    }

    /** About five round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
    static List<Double> ticks(double lo, double hi) {
        double span = hi - lo;
        double raw = span / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double ratio = raw / mag;
        double step = (ratio < 1.5 ? 1 : ratio < 3.5 ? 2 : ratio < 7.5 ? 5 : 10) * mag;
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
        return out;
    }

    private static String label(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return String.format(Locale.ROOT, "%d", (long) v);
        double a = Math.abs(v);
        return a >= 1e-2 && a < 1e4 ? new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString()
                : String.format(Locale.ROOT, "%.1e", v);
    }

    private static void legend(StringBuilder svg, int x, int y, String color, String text) {
        svg.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>", x, y - 4, x + 18, y - 4, color));
        svg.append(f("<text x=\"%d\" y=\"%d\">%s</text>", x + 22, y, text));
    }

    /** [min, max] of the finite values, padded so a flat series still has a visible axis. */
    private static double[] range(List<StepMetrics> steps, ToDoubleFunction<StepMetrics> value) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (StepMetrics s : steps) {
            double v = value.applyAsDouble(s);
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (lo > hi) return new double[] {0, 1};
        if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
            double pad = Math.max(Math.abs(hi) * 0.1, 1e-9);
            return new double[] {lo - pad, hi + pad};
        }
        return new double[] {lo, hi};
    }

    /** The loss panel's range covers training and validation loss. */
    private static double[] range2(List<StepMetrics> steps) {
        double[] a = range(steps, StepMetrics::loss);
        double[] b = range(steps, StepMetrics::valLoss);
        boolean anyVal = steps.stream().anyMatch(s -> Double.isFinite(s.valLoss()));
        return anyVal ? new double[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])} : a;
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
