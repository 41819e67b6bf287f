package io.pam.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Line charts of the loss and validation curves, drawn with java.awt (headless). */
final class Curves {
    private Curves() {}

    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
            new Color(255, 127, 14), new Color(148, 103, 189), new Color(140, 86, 75)};

    /** Writes {@code loss.png} and {@code validation.png} into a folder. */
    static void write(History h, Path dir) throws IOException {
        Map<String, List<double[]>> loss = new LinkedHashMap<>();
        String[] names = {"total", "l1", "comp", "lap", "ds", "pt"};
        int every = Math.max(1, h.losses.size() / 2000);
        for (int i = 0; i < h.losses.size(); i += every) {
            History.LossPoint p = h.losses.get(i);
            for (int j = 0; j < names.length; j++) {
                if (j >= 4 && p.parts()[j] == 0) continue;
                loss.computeIfAbsent(names[j], k -> new ArrayList<>()).add(new double[] {p.step(), p.parts()[j]});
            }
        }
        chart(dir.resolve("loss.png"), "training loss (per step)", loss);
        Map<String, List<double[]>> val = new LinkedHashMap<>();
        for (History.ValidationPoint p : h.validations)
            val.computeIfAbsent("L1 @" + p.budget(), k -> new ArrayList<>()).add(new double[] {p.step(), p.l1()});
        chart(dir.resolve("validation.png"), "validation L1 over unknown pixels, by budget", val);
    }

    static void chart(Path file, String title, Map<String, List<double[]>> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900, hgt = 500, left = 70, right = 160, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, hgt, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, hgt);
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = 0, y1 = -Double.MAX_VALUE;
        for (List<double[]> s : series.values())
            for (double[] p : s) {
                if (!Double.isFinite(p[1])) continue;
                x0 = Math.min(x0, p[0]);
                x1 = Math.max(x1, p[0]);
                y1 = Math.max(y1, p[1]);
            }
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) y1 = y0 + 1;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(title, left, 22);
        g.drawRect(left, top, w - left - right, hgt - top - bottom);
        for (int i = 0; i <= 4; i++) {
            double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
            int py = hgt - bottom - (int) ((hgt - top - bottom) * i / 4.0), px = left + (int) ((w - left - right) * i / 4.0);
            g.drawString(String.format("%.3g", yv), 5, py + 4);
            g.drawString(String.format("%.0f", xv), px - 10, hgt - bottom + 18);
        }
        g.drawString("step", w - right - 30, hgt - 10);
        int k = 0;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            g.setColor(COLORS[k % COLORS.length]);
            g.setStroke(new BasicStroke(1.5f));
            int[] px = null;
            for (double[] p : e.getValue()) {
                if (!Double.isFinite(p[1])) continue;
                int x = left + (int) ((p[0] - x0) / (x1 - x0) * (w - left - right));
                int y = hgt - bottom - (int) ((p[1] - y0) / (y1 - y0) * (hgt - top - bottom));
                if (px != null) g.drawLine(px[0], px[1], x, y);
                px = new int[] {x, y};
            }
            g.drawString(e.getKey(), w - right + 10, top + 16 * (k + 1));
            k++;
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
