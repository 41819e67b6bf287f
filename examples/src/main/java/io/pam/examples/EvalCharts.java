package io.pam.examples;

import io.pam.examples.EvalCommand.BudgetScores;
import io.pam.examples.EvalCommand.Item;
import io.pam.examples.EvalCommand.Score;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The pictures of {@code pam eval}, drawn with java.awt (headless): a chart of mean SAD and
 * mean time against the mean GMAC run per budget, and a contact sheet (input, trimap,
 * prediction, ground truth, error map) for the first few images.
 */
final class EvalCharts {
    private static final int PANEL_W = 460, PANEL_H = 360, MARGIN = 56;

    private EvalCharts() {}

    static void writeChart(Path file, List<BudgetScores> results) {
        BufferedImage img = new BufferedImage(2 * PANEL_W, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img);
        panel(g, 0, results, b -> b.mean(s -> s.errors().sad()), "mean SAD vs GMAC@1024", "SAD");
        panel(g, PANEL_W, results, b -> b.mean(Score::ms), "mean time vs GMAC@1024", "ms");
        g.dispose();
        Images.writePng(img, file);
    }

    private static Graphics2D start(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        return g;
    }

    /** One scatter panel: x = mean GMAC@1024 of the routes run, y = {@code metric}, points labelled by budget. */
    private static void panel(Graphics2D g, int x0, List<BudgetScores> results, ToDoubleFunction<BudgetScores> metric, String title, String yName) {
        double[] xs = results.stream().mapToDouble(b -> b.mean(Score::gmacAt1024)).toArray();
        double[] ys = results.stream().mapToDouble(metric).toArray();
        double[] xr = range(xs), yr = range(ys);
        int left = x0 + MARGIN, right = x0 + PANEL_W - 16, top = 32, bottom = PANEL_H - MARGIN + 8;
        g.setColor(Color.BLACK);
        text(g, title, left, 18);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        for (int t = 0; t <= 4; t++) {
            double xv = xr[0] + (xr[1] - xr[0]) * t / 4, yv = yr[0] + (yr[1] - yr[0]) * t / 4;
            int px = left + (right - left) * t / 4, py = bottom - (bottom - top) * t / 4;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(px, top, px, bottom - 1);
            g.drawLine(left + 1, py, right, py);
            g.setColor(Color.BLACK);
            text(g, fmt(xv), px - 14, bottom + 14);
            text(g, fmt(yv), x0 + 4, py + 4);
        }
        text(g, "GMAC at 1024x1024", (left + right) / 2 - 50, bottom + 30);
        text(g, yName, x0 + 4, top - 8);
        g.setStroke(new BasicStroke(1.5f));
        g.setColor(new Color(40, 90, 200));
        int[] px = new int[xs.length], py = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            px[i] = left + (int) Math.round((xs[i] - xr[0]) / (xr[1] - xr[0]) * (right - left));
            py[i] = bottom - (int) Math.round((ys[i] - yr[0]) / (yr[1] - yr[0]) * (bottom - top));
            if (i > 0) g.drawLine(px[i - 1], py[i - 1], px[i], py[i]);
        }
        java.util.Map<Long, String> labels = new java.util.LinkedHashMap<>(); // budgets landing on one point share a label
        for (int i = 0; i < xs.length; i++) {
            g.fillOval(px[i] - 4, py[i] - 4, 8, 8);
            labels.merge((long) px[i] << 32 | (py[i] & 0xffffffffL), results.get(i).label(), (a, b) -> a + ", " + b);
        }
        labels.forEach((k, label) -> text(g, label, (int) (k >> 32) + 6, (int) (long) k - 6));
    }

    /** Min and max with 5% padding; a single value gets a range around it. */
    static double[] range(double[] v) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double d : v) {
            if (!Double.isFinite(d)) continue;
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        if (lo > hi) return new double[] {0, 1};
        double pad = hi > lo ? (hi - lo) * 0.05 : Math.max(Math.abs(lo) * 0.05, 0.5);
        return new double[] {lo - pad, hi + pad};
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static boolean noFonts;

    /** Draws text, or nothing on a JVM without usable fonts (a bare headless system): pictures still come out. */
    private static void text(Graphics2D g, String s, int x, int y) {
        if (noFonts) return;
        try {
            g.drawString(s, x, y);
        } catch (RuntimeException | Error e) { // e.g. no fontconfig on a minimal container
            noFonts = true;
        }
    }

    static final String[] COLUMNS = {"input", "trimap", "prediction", "ground truth", "|error| (unknown)"};

    /** Rows of input, trimap, prediction, ground truth and error map, each tile at most 200x150. */
    static void writeContactSheet(Path file, List<Item> items, List<float[]> predictions, String budgetLabel) {
        int tw = 200, th = 150, head = 24, label = 16, gap = 6;
        BufferedImage sheet = new BufferedImage(COLUMNS.length * (tw + gap) + gap, head + items.size() * (th + label + gap) + gap, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(sheet);
        g.setColor(Color.BLACK);
        for (int c = 0; c < COLUMNS.length; c++) text(g, COLUMNS[c] + (c == 2 ? " (" + budgetLabel + ")" : ""), gap + c * (tw + gap), 16);
        for (int r = 0; r < items.size(); r++) {
            Item it = items.get(r);
            float[] gt = it.alpha().toUnitFloats(), pred = predictions.get(r);
            BufferedImage[] tiles = {rgb(it), gray(it.width(), it.height(), it.trimap().values()), gray(it.width(), it.height(), bytes(pred)),
                    gray(it.width(), it.height(), it.alpha().values()), errorMap(it, pred, gt)};
            int y = head + r * (th + label + gap);
            g.setColor(Color.BLACK);
            text(g, it.name(), gap, y + 12);
            double s = Math.min((double) tw / it.width(), (double) th / it.height());
            int dw = (int) Math.round(it.width() * s), dh = (int) Math.round(it.height() * s);
            for (int c = 0; c < tiles.length; c++) g.drawImage(tiles[c], gap + c * (tw + gap), y + label, dw, dh, null);
        }
        g.dispose();
        Images.writePng(sheet, file);
    }

    private static BufferedImage rgb(Item it) {
        int w = it.width(), n = it.image().plane();
        float[] p = it.image().planar();
        int[] px = new int[n];
        for (int i = 0; i < n; i++) px[i] = SampleMaker.to8(p[i]) << 16 | SampleMaker.to8(p[n + i]) << 8 | SampleMaker.to8(p[2 * n + i]);
        BufferedImage img = new BufferedImage(w, it.height(), BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, it.height(), px, 0, w);
        return img;
    }

    private static BufferedImage gray(int w, int h, byte[] v) {
        return SampleMaker.gray(w, h, v);
    }

    private static byte[] bytes(float[] a) {
        return SampleMaker.to8(a);
    }

    /** |pred - gt| on unknown pixels as black -> red -> yellow (full scale at 0.5); known pixels dark blue-gray. */
    private static BufferedImage errorMap(Item it, float[] pred, float[] gt) {
        int w = it.width(), n = w * it.height();
        int[] px = new int[n];
        for (int i = 0; i < n; i++) {
            if (it.trimap().get(i) != 128) {
                px[i] = 0x2a2f3a;
                continue;
            }
            double e = Math.min(1, Math.abs(pred[i] - gt[i]) * 2);
            int red = (int) Math.round(255 * Math.min(1, 2 * e)), green = (int) Math.round(255 * Math.max(0, 2 * e - 1));
            px[i] = red << 16 | green << 8;
        }
        BufferedImage img = new BufferedImage(w, it.height(), BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, it.height(), px, 0, w);
        return img;
    }
}
