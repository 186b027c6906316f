package dev.zerospark.training.metrics;

import java.util.List;
import java.util.Locale;

/** A self-contained SVG loss curve (training loss, and validation loss where measured) inside an HTML report. */
public final class LossPlot {
    private static final int W = 720;
    private static final int H = 360;
    private static final int PAD = 50;

    private LossPlot() {}

    public static String html(String title, List<StepMetrics> steps) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head><body>"
                + "<h2>" + escape(title) + "</h2>" + svg(steps) + "</body></html>\n";
    }

    public static String svg(List<StepMetrics> steps) {
        if (steps.isEmpty()) throw new IllegalArgumentException("no steps to plot");
        double minX = steps.get(0).step();
        double maxX = Math.max(minX + 1, steps.get(steps.size() - 1).step());
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (StepMetrics m : steps) {
            for (double v : new double[] {m.loss(), m.valLoss()}) {
                if (Double.isFinite(v)) {
                    minY = Math.min(minY, v);
                    maxY = Math.max(maxY, v);
                }
            }
        }
        if (maxY - minY < 1e-9) maxY = minY + 1;
        StringBuilder train = new StringBuilder();
        StringBuilder val = new StringBuilder();
        for (StepMetrics m : steps) {
            double x = PAD + (m.step() - minX) / (maxX - minX) * (W - 2 * PAD);
            if (Double.isFinite(m.loss())) train.append(point(x, y(m.loss(), minY, maxY)));
            if (Double.isFinite(m.valLoss())) val.append(point(x, y(m.valLoss(), minY, maxY)));
        }
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">", W, H));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>", W, H));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", PAD, H - PAD, W - PAD, H - PAD));
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", PAD, PAD, PAD, H - PAD));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">step %.0f</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">step %.0f</text>",
                PAD, H - PAD + 18, minX, W - PAD, H - PAD + 18, maxX));
        svg.append(String.format(Locale.ROOT, "<text x=\"5\" y=\"%d\">%.3f</text><text x=\"5\" y=\"%d\">%.3f</text>", PAD, maxY, H - PAD, minY));
        svg.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"").append(train).append("\"/>");
        if (val.length() > 0) {
            svg.append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" stroke-dasharray=\"6 3\" points=\"").append(val).append("\"/>");
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" fill=\"#1f77b4\">train loss</text>", W - 220));
        if (val.length() > 0) svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" fill=\"#d62728\">validation loss</text>", W - 130));
        svg.append("</svg>");
        return svg.toString();
    }

    private static double y(double v, double min, double max) {
        return H - PAD - (v - min) / (max - min) * (H - 2 * PAD);
    }

    private static String point(double x, double y) {
        return String.format(Locale.ROOT, "%.1f,%.1f ", x, y);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
