package io.pam.train.data;

import io.pam.image.RgbImage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Procedural foregrounds with exact alpha: the alpha is defined by the generator, so it is the
 * ground truth by construction. A foreground is a stack of layers, each with its own colour and
 * alpha, combined front-to-back with the "over" operator:
 * <ul>
 *   <li>soft shapes: 1-3 ellipses, edges blurred over 0.5-6 px, most opaque, some
 *       semi-transparent (opacity 0.3-0.9);</li>
 *   <li>hair-like strands: up to 160 anti-aliased cubic curves 0.3-2.5 px wide, growing out of
 *       the shapes' edges (coverage = clamp(width / 2 + 0.5 - distance, 0, 1) x opacity);</li>
 *   <li>semi-transparent veils: smooth value noise inside a soft ellipse (smoke, glass, fabric).</li>
 * </ul>
 * Colours come from random patches of photos (the backgrounds), tinted, so foregrounds have
 * natural textures. F is the "over" result divided by alpha (straight colour); where alpha is 0,
 * F is the first layer's texture so that F stays smooth.
 */
public final class ProceduralMattes {
    private ProceduralMattes() {}

    /** One size x size foreground; the same random state gives the same result. */
    public static Matte generate(SplittableRandom rnd, int size, List<RgbImage> textures) {
        int n = size * size;
        float[] premul = new float[3 * n];  // sum of colour x effective alpha, front to back
        float[] alpha = new float[n];
        float[] base = texture(rnd, size, textures);
        float[] layer = new float[n];

        int shapes = 1 + rnd.nextInt(3);
        double[][] ellipses = new double[shapes][];
        for (int s = 0; s < shapes; s++) {
            double cx = size * (0.3 + 0.4 * rnd.nextDouble()), cy = size * (0.3 + 0.4 * rnd.nextDouble());
            double rx = size * (0.12 + 0.35 * rnd.nextDouble()), ry = size * (0.12 + 0.35 * rnd.nextDouble());
            double angle = rnd.nextDouble() * Math.PI;
            double soft = 0.5 + 5.5 * rnd.nextDouble() * rnd.nextDouble();
            double opacity = rnd.nextDouble() < 0.25 ? 0.3 + 0.6 * rnd.nextDouble() : 1.0;
            ellipses[s] = new double[] {cx, cy, rx, ry, angle};
            softEllipse(layer, size, cx, cy, rx, ry, angle, soft, opacity);
            float[] colour = s == 0 ? base : tint(rnd, base.clone(), size);
            over(premul, alpha, colour, layer, n);
        }
        if (rnd.nextDouble() < 0.7) {
            java.util.Arrays.fill(layer, 0);
            int strands = 10 + rnd.nextInt(150);
            double width = 0.3 + 2.2 * rnd.nextDouble() * rnd.nextDouble();
            for (int k = 0; k < strands; k++) strand(rnd, layer, size, ellipses[rnd.nextInt(shapes)], width);
            over(premul, alpha, tint(rnd, texture(rnd, size, textures), size), layer, n);
        }
        if (rnd.nextDouble() < 0.35) {
            java.util.Arrays.fill(layer, 0);
            veil(rnd, layer, size);
            over(premul, alpha, tint(rnd, texture(rnd, size, textures), size), layer, n);
        }
        float[] f = new float[3 * n];
        for (int i = 0; i < n; i++) {
            float a = alpha[i];
            for (int c = 0; c < 3; c++) f[c * n + i] = a > 0 ? Math.clamp(premul[c * n + i] / a, 0f, 1f) : base[c * n + i];
        }
        return new Matte("procedural", new RgbImage(size, size, f), alpha);
    }

    /** Adds a layer behind what is there: premul += (1 - alpha) a_l colour; alpha += (1 - alpha) a_l. */
    private static void over(float[] premul, float[] alpha, float[] colour, float[] layer, int n) {
        for (int i = 0; i < n; i++) {
            float l = layer[i];
            if (l <= 0) continue;
            float e = (1 - alpha[i]) * l;
            for (int c = 0; c < 3; c++) premul[c * n + i] += e * colour[c * n + i];
            // 1 - (1 - a)(1 - l) would also do; this form keeps alpha exactly 1 where l == 1.
            alpha[i] = l >= 1 ? 1f : alpha[i] + e;
        }
    }

    private static void softEllipse(float[] out, int size, double cx, double cy, double rx, double ry, double angle,
                                    double soft, double opacity) {
        double cos = Math.cos(angle), sin = Math.sin(angle), r = Math.min(rx, ry);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
                double u = (dx * cos + dy * sin) / rx, v = (-dx * sin + dy * cos) / ry;
                double signed = (Math.sqrt(u * u + v * v) - 1) * r;  // approximate distance to the edge, px
                double a = Math.clamp(0.5 - signed / soft, 0, 1);
                out[y * size + x] = (float) (a * opacity);
            }
        }
    }

    /** One cubic curve from a point on an ellipse's edge, outwards, stamped as max coverage. */
    private static void strand(SplittableRandom rnd, float[] out, int size, double[] e, double width) {
        double t = rnd.nextDouble() * 2 * Math.PI, cos = Math.cos(e[4]), sin = Math.sin(e[4]);
        double ex = e[2] * Math.cos(t), ey = e[3] * Math.sin(t);
        double x0 = e[0] + ex * cos - ey * sin, y0 = e[1] + ex * sin + ey * cos;
        double dir = Math.atan2(y0 - e[1], x0 - e[0]) + (rnd.nextDouble() - 0.5) * 1.2;
        double len = size * (0.08 + 0.4 * rnd.nextDouble());
        double bend1 = (rnd.nextDouble() - 0.5) * 1.5, bend2 = (rnd.nextDouble() - 0.5) * 2.5;
        double x1 = x0 + Math.cos(dir + bend1) * len / 3, y1 = y0 + Math.sin(dir + bend1) * len / 3;
        double x2 = x0 + Math.cos(dir + bend2) * len * 2 / 3, y2 = y0 + Math.sin(dir + bend2) * len * 2 / 3;
        double x3 = x0 + Math.cos(dir + bend2 * 1.3) * len, y3 = y0 + Math.sin(dir + bend2 * 1.3) * len;
        double w = width * (0.6 + 0.8 * rnd.nextDouble()), opacity = 0.4 + 0.6 * rnd.nextDouble();
        double half = w / 2;
        int reach = (int) Math.ceil(half + 0.5);
        int steps = (int) Math.ceil(len * 2);  // a stamp every half pixel or closer
        for (int s = 0; s <= steps; s++) {
            double q = (double) s / steps, p = 1 - q;
            double px = p * p * p * x0 + 3 * p * p * q * x1 + 3 * p * q * q * x2 + q * q * q * x3;
            double py = p * p * p * y0 + 3 * p * p * q * y1 + 3 * p * q * q * y2 + q * q * q * y3;
            double taper = half * (1 - 0.7 * q);  // strands thin towards the tip
            int ix = (int) Math.floor(px), iy = (int) Math.floor(py);
            for (int yy = iy - reach; yy <= iy + reach; yy++) {
                if (yy < 0 || yy >= size) continue;
                for (int xx = ix - reach; xx <= ix + reach; xx++) {
                    if (xx < 0 || xx >= size) continue;
                    double dx = xx + 0.5 - px, dy = yy + 0.5 - py, d2 = dx * dx + dy * dy, edge = taper + 0.5;
                    if (d2 >= edge * edge) continue;
                    float cov = (float) (Math.min(1, edge - Math.sqrt(d2)) * opacity);
                    int i = yy * size + xx;
                    if (cov > out[i]) out[i] = cov;
                }
            }
        }
    }

    /** Smooth value noise (bilinear on a coarse random grid) inside a soft ellipse. */
    private static void veil(SplittableRandom rnd, float[] out, int size) {
        int g = 3 + rnd.nextInt(6);
        float[] grid = new float[(g + 1) * (g + 1)];
        for (int i = 0; i < grid.length; i++) grid[i] = (float) rnd.nextDouble();
        double opacity = 0.2 + 0.5 * rnd.nextDouble();
        float[] mask = new float[size * size];
        softEllipse(mask, size, size * (0.3 + 0.4 * rnd.nextDouble()), size * (0.3 + 0.4 * rnd.nextDouble()),
                size * (0.15 + 0.3 * rnd.nextDouble()), size * (0.15 + 0.3 * rnd.nextDouble()), rnd.nextDouble() * Math.PI,
                2 + 10 * rnd.nextDouble(), 1);
        for (int y = 0; y < size; y++) {
            double gy = (double) y / size * g;
            int y0 = (int) gy;
            double ty = gy - y0;
            for (int x = 0; x < size; x++) {
                double gx = (double) x / size * g;
                int x0 = (int) gx;
                double tx = gx - x0;
                double v = (grid[y0 * (g + 1) + x0] * (1 - tx) + grid[y0 * (g + 1) + x0 + 1] * tx) * (1 - ty)
                        + (grid[(y0 + 1) * (g + 1) + x0] * (1 - tx) + grid[(y0 + 1) * (g + 1) + x0 + 1] * tx) * ty;
                out[y * size + x] = (float) (opacity * v * mask[y * size + x]);
            }
        }
    }

    /** A random size x size patch of a random photo, scaled (bilinear) and maybe flipped. */
    static float[] texture(SplittableRandom rnd, int size, List<RgbImage> textures) {
        RgbImage t = textures.get(rnd.nextInt(textures.size()));
        int side = Math.min(t.width(), t.height());
        int patch = Math.max(8, (int) (side * (0.15 + 0.5 * rnd.nextDouble())));
        double x0 = rnd.nextDouble() * (t.width() - patch), y0 = rnd.nextDouble() * (t.height() - patch);
        double scale = (double) patch / size;
        boolean flip = rnd.nextBoolean();
        float[] out = new float[3 * size * size];
        int n = size * size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                double sx = x0 + ((flip ? size - 1 - x : x) + 0.5) * scale - 0.5, sy = y0 + (y + 0.5) * scale - 0.5;
                for (int c = 0; c < 3; c++) out[c * n + y * size + x] = Warp.bilinear(t.planar(), c * t.plane(), t.width(), t.height(), sx, sy);
            }
        return out;
    }

    /** Blends towards a random colour and scales, so textures vary in hue. */
    private static float[] tint(SplittableRandom rnd, float[] rgb, int size) {
        int n = size * size;
        float mix = (float) (0.2 + 0.6 * rnd.nextDouble());
        for (int c = 0; c < 3; c++) {
            float target = (float) rnd.nextDouble();
            for (int i = 0; i < n; i++) rgb[c * n + i] = rgb[c * n + i] * (1 - mix) + target * mix;
        }
        return rgb;
    }
}
