package io.pam.examples;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Draws the bundled sample: a procedural foreground with exact alpha over a procedural
 * background, so the repository ships a matting example with ground truth and no third-party
 * picture.
 *
 * <p>The foreground is a furry body whose edge is crisp on one side and defocused (up to 7 px
 * soft) on the other, about 180 thin tapered hair strands (0.4-1.6 px wide, partly translucent)
 * and a translucent veil (opacity about 0.45). Layers are composited back to front with the
 * "over" operator in premultiplied colour, coverage by 4x4 supersampling. The alpha is then
 * rounded to 8 bits and the image is composited from that rounded alpha,
 * {@code I = alpha F + (1 - alpha) B}, so the ground truth matches the image exactly (up to the
 * image's own 8-bit rounding). The trimap marks as unknown every pixel within {@value #TRIMAP_BAND}
 * px of a pixel whose alpha is neither 0 nor 1.
 */
public final class SampleMaker {
    static final String USAGE = "pam sample [--out DIR] [--width 512] [--height 384] [--seed 7]   "
            + "(writes sample.png, trimap.png, alpha.png)";
    static final int TRIMAP_BAND = 6;
    private static final int SS = 4; // supersampling per axis

    /**
     * A drawn sample. Colours are interleaved RGB in [0,1], row-major.
     *
     * @param alpha    the ground truth, already rounded to 8 bits (k/255)
     * @param image    {@code alpha * foreground + (1 - alpha) * background}, not yet rounded
     * @param trimap   0 / 128 / 255
     */
    public record Sample(int width, int height, float[] image, float[] foreground, float[] background, float[] alpha, byte[] trimap) {}

    private SampleMaker() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("sample", argv, Set.of("out", "width", "height", "seed"), Set.of());
        Path dir = Path.of(a.get("out", "examples/sample"));
        int w = a.intValue("width", 512, 32), h = a.intValue("height", 384, 32);
        long seed = a.intValue("seed", 7, 0);
        Sample s = draw(w, h, seed);
        Images.writePng(rgbImage(s.width(), s.height(), s.image()), dir.resolve("sample.png"));
        Images.writePng(gray(s.width(), s.height(), s.trimap()), dir.resolve("trimap.png"));
        Images.writePng(gray(s.width(), s.height(), to8(s.alpha())), dir.resolve("alpha.png"));
        long unknown = 0;
        for (byte t : s.trimap()) if (t == (byte) 128) unknown++;
        out.printf(Locale.ROOT, "wrote %s/{sample,trimap,alpha}.png (%dx%d, seed %d, %.1f%% unknown)%n", dir, w, h, seed, 100.0 * unknown / (w * h));
        return 0;
    }

    /** Draws a sample of the given size; the scene scales with the size and repeats for a seed. */
    public static Sample draw(int width, int height, long seed) {
        if (width < 32 || height < 32) throw new IllegalArgumentException("sample must be at least 32x32");
        Random rnd = new Random(seed);
        int n = width * height;
        float[] bg = background(width, height, seed);
        float[] premul = new float[3 * n]; // foreground colour times coverage, accumulated "over"
        float[] cover = new float[n];
        double s = Math.min(width / 512.0, height / 384.0); // scene scale

        // 1. translucent veil, behind the body (upper right)
        double vx = width * 0.66, vy = height * 0.40, va = 120 * s, vb = 70 * s, tilt = -0.5;
        layer(width, height, premul, cover, (x, y) -> {
            double dx = x - vx, dy = y - vy;
            double u = (dx * Math.cos(tilt) + dy * Math.sin(tilt)) / va, v = (-dx * Math.sin(tilt) + dy * Math.cos(tilt)) / vb;
            double r = Math.sqrt(u * u + v * v);
            double edge = clamp((1 - r) * Math.min(va, vb) / 2.5, 0, 1); // ~2.5 px soft rim
            return 0.45 * edge * (0.8 + 0.2 * Math.sin(8 * u)); // folds in the fabric
        }, (x, y, c) -> {
            c[0] = 0.80f;
            c[1] = 0.90f;
            c[2] = 1.00f;
        });

        // 2. the body: a wobbly disc, crisp on the left, defocused on the right
        double bx = width * 0.42, by = height * 0.56, br = 95 * s;
        double[] wob = {rnd.nextDouble() * 6, rnd.nextDouble() * 6, rnd.nextDouble() * 6};
        layer(width, height, premul, cover, (x, y) -> {
            double dx = x - bx, dy = y - by, th = Math.atan2(dy, dx);
            double radius = br * (1 + 0.06 * Math.sin(3 * th + wob[0]) + 0.04 * Math.sin(5 * th + wob[1]) + 0.02 * Math.sin(11 * th + wob[2]));
            double soft = 0.5 + 3.5 * (1 + Math.cos(th)) * s; // px: ~0.5 on the left, ~7.5 on the right
            return clamp((radius - Math.hypot(dx, dy)) / soft + 0.5, 0, 1);
        }, (x, y, c) -> {
            double shade = 0.75 + 0.25 * clamp(1 - Math.hypot(x - (bx - 30 * s), y - (by - 35 * s)) / (br * 1.6), 0, 1);
            c[0] = (float) (0.85 * shade);
            c[1] = (float) (0.45 * shade);
            c[2] = (float) (0.20 * shade);
        });

        // 3. hair strands leaving the body's upper half, curving outwards
        for (int k = 0; k < 180; k++) {
            double th = Math.PI * (1.05 + 0.9 * rnd.nextDouble()); // upper half, angles pi..2pi
            double len = (30 + 70 * rnd.nextDouble()) * s, bend = (rnd.nextDouble() - 0.5) * 1.2;
            double w0 = 0.4 + 1.2 * rnd.nextDouble(), opacity = 0.6 + 0.4 * rnd.nextDouble();
            double x0 = bx + Math.cos(th) * br * 0.9, y0 = by + Math.sin(th) * br * 0.9;
            float cr = (float) (0.95 - 0.2 * rnd.nextDouble()), cg = (float) (0.70 - 0.2 * rnd.nextDouble()), cb = (float) (0.35 - 0.1 * rnd.nextDouble());
            strand(width, height, premul, cover, x0, y0, th, len, bend, w0, opacity, new float[] {cr, cg, cb});
        }

        float[] alpha = new float[n], fg = new float[3 * n], img = new float[3 * n];
        for (int i = 0; i < n; i++) {
            alpha[i] = Math.round(clamp(cover[i], 0, 1) * 255) / 255f;
            for (int c = 0; c < 3; c++) {
                // where nothing covers the pixel the foreground colour is undefined: take the background's
                float f = cover[i] > 1e-6f ? (float) clamp(premul[3 * i + c] / cover[i], 0, 1) : bg[3 * i + c];
                fg[3 * i + c] = f;
                img[3 * i + c] = alpha[i] * f + (1 - alpha[i]) * bg[3 * i + c];
            }
        }
        return new Sample(width, height, img, fg, bg, alpha, trimap(width, height, alpha, TRIMAP_BAND));
    }

    interface Field {
        double at(double x, double y);
    }

    interface Paint {
        void at(double x, double y, float[] rgb);
    }

    /** Composites one layer "over" the accumulated foreground, its coverage averaged on a 4x4 grid per pixel. */
    private static void layer(int w, int h, float[] premul, float[] cover, Field coverage, Paint paint) {
        float[] c = new float[3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sum = 0;
                for (int sy = 0; sy < SS; sy++)
                    for (int sx = 0; sx < SS; sx++) sum += coverage.at(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS);
                double a = sum / (SS * SS);
                if (a <= 0) continue;
                paint.at(x + 0.5, y + 0.5, c);
                over(premul, cover, y * w + x, c, a);
            }
        }
    }

    private static void over(float[] premul, float[] cover, int i, float[] c, double a) {
        for (int k = 0; k < 3; k++) premul[3 * i + k] = (float) (c[k] * a + premul[3 * i + k] * (1 - a));
        cover[i] = (float) (a + cover[i] * (1 - a));
    }

    /** A tapered curved strand: a quadratic Bezier, covered where a subsample lies within half the width of it. */
    private static void strand(int w, int h, float[] premul, float[] cover, double x0, double y0, double th, double len,
                               double bend, double width0, double opacity, float[] colour) {
        int segs = 24;
        double[] px = new double[segs + 1], py = new double[segs + 1], pw = new double[segs + 1];
        double cx = x0 + Math.cos(th + bend) * len * 0.6, cy = y0 + Math.sin(th + bend) * len * 0.6;
        double ex = x0 + Math.cos(th + bend * 1.6) * len, ey = y0 + Math.sin(th + bend * 1.6) * len;
        for (int i = 0; i <= segs; i++) {
            double t = (double) i / segs, u = 1 - t;
            px[i] = u * u * x0 + 2 * u * t * cx + t * t * ex;
            py[i] = u * u * y0 + 2 * u * t * cy + t * t * ey;
            pw[i] = width0 * (1 - 0.7 * t); // tapers to the tip
        }
        int x1 = Math.max(0, (int) Math.floor(min(px) - 2)), x2 = Math.min(w - 1, (int) Math.ceil(max(px) + 2));
        int y1 = Math.max(0, (int) Math.floor(min(py) - 2)), y2 = Math.min(h - 1, (int) Math.ceil(max(py) + 2));
        for (int y = y1; y <= y2; y++) {
            for (int x = x1; x <= x2; x++) {
                int hits = 0;
                for (int sy = 0; sy < SS; sy++) {
                    for (int sx = 0; sx < SS; sx++) {
                        double qx = x + (sx + 0.5) / SS, qy = y + (sy + 0.5) / SS;
                        for (int i = 0; i < segs; i++) {
                            if (segmentDistance(qx, qy, px[i], py[i], px[i + 1], py[i + 1]) <= 0.25 * (pw[i] + pw[i + 1])) {
                                hits++;
                                break;
                            }
                        }
                    }
                }
                if (hits > 0) over(premul, cover, y * w + x, colour, opacity * hits / (SS * SS));
            }
        }
    }

    private static double segmentDistance(double qx, double qy, double ax, double ay, double bx, double by) {
        double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
        double t = l2 == 0 ? 0 : clamp(((qx - ax) * dx + (qy - ay) * dy) / l2, 0, 1);
        return Math.hypot(qx - ax - t * dx, qy - ay - t * dy);
    }

    /** A vertical two-colour gradient, soft out-of-focus discs and fractal value noise. */
    static float[] background(int w, int h, long seed) {
        Random rnd = new Random(seed * 31 + 5);
        int discs = 14;
        double[][] d = new double[discs][];
        for (int k = 0; k < discs; k++)
            d[k] = new double[] {rnd.nextDouble() * w, rnd.nextDouble() * h, (15 + 45 * rnd.nextDouble()) * w / 512.0,
                    0.5 + 0.5 * rnd.nextDouble(), 0.6 + 0.4 * rnd.nextDouble(), 0.3 + 0.5 * rnd.nextDouble(), 0.15 + 0.2 * rnd.nextDouble()};
        float[] bg = new float[3 * w * h];
        for (int y = 0; y < h; y++) {
            double t = (double) y / (h - 1);
            for (int x = 0; x < w; x++) {
                double r = 0.20 + 0.35 * t, g = 0.35 + 0.25 * t, b = 0.55 - 0.25 * t;
                for (double[] q : d) {
                    double e = clamp((q[2] - Math.hypot(x - q[0], y - q[1])) / 6, 0, 1) * q[6];
                    r += e * q[3];
                    g += e * q[4];
                    b += e * q[5];
                }
                double nz = 0.12 * (fractalNoise(x / 40.0, y / 40.0, seed) - 0.5);
                int i = 3 * (y * w + x);
                bg[i] = (float) clamp(r + nz, 0, 1);
                bg[i + 1] = (float) clamp(g + nz, 0, 1);
                bg[i + 2] = (float) clamp(b + nz * 0.7, 0, 1);
            }
        }
        return bg;
    }

    /** Four octaves of smoothly interpolated lattice noise, in [0,1]. */
    static double fractalNoise(double x, double y, long seed) {
        double sum = 0, amp = 0.5, norm = 0;
        for (int o = 0; o < 4; o++) {
            sum += amp * valueNoise(x, y, seed + o);
            norm += amp;
            x *= 2;
            y *= 2;
            amp *= 0.5;
        }
        return sum / norm;
    }

    private static double valueNoise(double x, double y, long seed) {
        int xi = (int) Math.floor(x), yi = (int) Math.floor(y);
        double fx = x - xi, fy = y - yi;
        double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
        double a = lattice(xi, yi, seed), b = lattice(xi + 1, yi, seed), c = lattice(xi, yi + 1, seed), e = lattice(xi + 1, yi + 1, seed);
        return (a + (b - a) * sx) * (1 - sy) + (c + (e - c) * sx) * sy;
    }

    private static double lattice(int x, int y, long seed) {
        long h = seed * 0x9E3779B97F4A7C15L + x * 0xC2B2AE3D27D4EB4FL + y * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (h >>> 11) / (double) (1L << 53);
    }

    /**
     * Trimap from an alpha: unknown (128) within {@code band} px (Euclidean) of any pixel whose
     * alpha is strictly between 0 and 1, or of the boundary between 0 and 1; else 0 or 255.
     */
    static byte[] trimap(int w, int h, float[] alpha, int band) {
        boolean[] mixed = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float a = alpha[i];
                boolean m = a > 0 && a < 1;
                if (!m && x + 1 < w && alpha[i + 1] != a) m = true; // a hard 0|1 step is an edge too
                if (!m && y + 1 < h && alpha[i + w] != a) m = true;
                mixed[i] = m;
            }
        }
        byte[] t = new byte[w * h];
        for (int i = 0; i < t.length; i++) t[i] = alpha[i] >= 1 ? (byte) 255 : 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!mixed[y * w + x]) continue;
                for (int dy = -band; dy <= band; dy++) {
                    for (int dx = -band; dx <= band; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (dx * dx + dy * dy <= band * band && xx >= 0 && yy >= 0 && xx < w && yy < h) t[yy * w + xx] = (byte) 128;
                    }
                }
            }
        }
        return t;
    }

    static BufferedImage rgbImage(int w, int h, float[] rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++)
            px[i] = to8(rgb[3 * i]) << 16 | to8(rgb[3 * i + 1]) << 8 | to8(rgb[3 * i + 2]);
        img.setRGB(0, 0, w, h, px, 0, w);
        return img;
    }

    static BufferedImage gray(int w, int h, byte[] v) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, w, h, v);
        return img;
    }

    static int to8(float v) {
        return Math.round(Math.min(Math.max(v, 0f), 1f) * 255f);
    }

    static byte[] to8(float[] v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) to8(v[i]);
        return b;
    }

    private static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    private static double min(double[] a) {
        double m = a[0];
        for (double v : a) m = Math.min(m, v);
        return m;
    }

    private static double max(double[] a) {
        double m = a[0];
        for (double v : a) m = Math.max(m, v);
        return m;
    }
}
