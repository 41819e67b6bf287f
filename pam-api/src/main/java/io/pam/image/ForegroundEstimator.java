package io.pam.image;

/**
 * Estimates foreground and background colours F, B from an image I and its alpha, so that
 * I &asymp; alpha F + (1 - alpha) B with F and B smooth where alpha is smooth. Used for cutouts
 * (straight-alpha PNGs without colour fringes) and by training, to composite real foregrounds
 * over new backgrounds.
 *
 * <p>Method: the multilevel scheme of Germer et al., "Fast Multi-Level Foreground Estimation"
 * (ICPR 2020), written from the paper's description. Per channel it minimises
 * <pre>
 *   sum_i (alpha_i F_i + (1 - alpha_i) B_i - I_i)^2
 *     + sum_{i~j} (eps + omega |alpha_i - alpha_j|) ((F_i - F_j)^2 + (B_i - B_j)^2)
 * </pre>
 * over 4-neighbours i~j. With the neighbours fixed, the optimum at one pixel is a 2x2 linear
 * system (shared by the three channels), solved exactly and clamped to [0,1]; sweeps of such
 * updates (in place, raster order) run on a pyramid from 1x1 up to full size
 * (size_l = round(size^(l / L)), L = ceil(log2(max(w, h)))), each level starting from the
 * nearest-neighbour upsampled result of the previous one: more sweeps on the cheap small levels,
 * few on the large ones. Deterministic (single-threaded, fixed order); about O(w h) per sweep.
 */
public final class ForegroundEstimator {
    /** The estimated colours, both of the input's size. */
    public record Result(RgbImage foreground, RgbImage background) {}

    private final double eps;
    private final double omega;
    private final int smallSweeps;
    private final int largeSweeps;
    private final int smallSize;

    /** The paper's settings: eps 5e-3, omega 0.1, 10 sweeps up to 32 px, then 2 sweeps per level. */
    public ForegroundEstimator() {
        this(5e-3, 0.1, 10, 2, 32);
    }

    /**
     * @param eps         smoothness weight everywhere (> 0)
     * @param omega       extra smoothness weight per unit of alpha change (&ge; 0)
     * @param smallSweeps sweeps on levels whose sides are both &le; {@code smallSize}
     * @param largeSweeps sweeps on larger levels
     * @param smallSize   side limit of a "small" level
     */
    public ForegroundEstimator(double eps, double omega, int smallSweeps, int largeSweeps, int smallSize) {
        if (!(eps > 0) || !(omega >= 0) || smallSweeps < 1 || largeSweeps < 1 || smallSize < 1)
            throw new IllegalArgumentException("need eps > 0, omega >= 0, sweeps >= 1, smallSize >= 1");
        this.eps = eps;
        this.omega = omega;
        this.smallSweeps = smallSweeps;
        this.largeSweeps = largeSweeps;
        this.smallSize = smallSize;
    }

    /** Estimates F and B with the paper's settings. */
    public static Result estimate(RgbImage image, float[] alpha) {
        return new ForegroundEstimator().run(image, alpha);
    }

    /**
     * Estimates F and B.
     *
     * @param image the composite, planar RGB in [0,1]
     * @param alpha row-major alpha in [0,1], {@code image.width() * image.height()} values
     */
    public Result run(RgbImage image, float[] alpha) {
        int w0 = image.width(), h0 = image.height(), n0 = image.plane();
        if (alpha == null || alpha.length != n0)
            throw new IllegalArgumentException("alpha must have " + n0 + " values for a " + w0 + "x" + h0 + " image, got "
                    + (alpha == null ? "null" : alpha.length));
        for (int i = 0; i < n0; i++)
            if (!(alpha[i] >= 0 && alpha[i] <= 1)) throw new IllegalArgumentException("alpha must be in [0,1]; got " + alpha[i] + " at index " + i);

        int levels = Math.max(1, (int) Math.ceil(Math.log(Math.max(w0, h0)) / Math.log(2)));
        // Level 0 is 1x1; start both layers at the image's mean colour.
        float[] f = new float[3], b = new float[3];
        for (int c = 0; c < 3; c++) {
            double s = 0;
            for (int i = 0; i < n0; i++) s += image.planar()[c * n0 + i];
            f[c] = b[c] = (float) (s / n0);
        }
        int pw = 1, ph = 1;
        for (int level = 1; level <= levels; level++) {
            int w = level == levels ? w0 : Math.max(1, (int) Math.round(Math.pow(w0, (double) level / levels)));
            int h = level == levels ? h0 : Math.max(1, (int) Math.round(Math.pow(h0, (double) level / levels)));
            float[] img = resizeNearest(image.planar(), 3, w0, h0, w, h);
            float[] a = resizeNearest(alpha, 1, w0, h0, w, h);
            f = resizeNearest(f, 3, pw, ph, w, h);
            b = resizeNearest(b, 3, pw, ph, w, h);
            int sweeps = w <= smallSize && h <= smallSize ? smallSweeps : largeSweeps;
            for (int s = 0; s < sweeps; s++) sweep(img, a, f, b, w, h);
            pw = w;
            ph = h;
        }
        return new Result(new RgbImage(w0, h0, f), new RgbImage(w0, h0, b));
    }

    /** One in-place pass over all pixels, solving each pixel's 2x2 system with its neighbours fixed. */
    private void sweep(float[] img, float[] a, float[] f, float[] b, int w, int h) {
        int n = w * h;
        int[] nb = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x, count = 0;
                if (x > 0) nb[count++] = i - 1;
                if (x < w - 1) nb[count++] = i + 1;
                if (y > 0) nb[count++] = i - w;
                if (y < h - 1) nb[count++] = i + w;
                if (count == 0) continue;
                double ai = a[i], wsum = 0;
                double f0 = 0, f1 = 0, f2 = 0, b0 = 0, b1 = 0, b2 = 0;
                for (int k = 0; k < count; k++) {
                    int j = nb[k];
                    double wt = eps + omega * Math.abs(ai - a[j]);
                    wsum += wt;
                    f0 += wt * f[j];
                    f1 += wt * f[n + j];
                    f2 += wt * f[2 * n + j];
                    b0 += wt * b[j];
                    b1 += wt * b[n + j];
                    b2 += wt * b[2 * n + j];
                }
                double a11 = ai * ai + wsum, a12 = ai * (1 - ai), a22 = (1 - ai) * (1 - ai) + wsum;
                double inv = 1 / (a11 * a22 - a12 * a12);
                solve(img[i], ai, a11, a12, a22, inv, f0, b0, f, b, i);
                solve(img[n + i], ai, a11, a12, a22, inv, f1, b1, f, b, n + i);
                solve(img[2 * n + i], ai, a11, a12, a22, inv, f2, b2, f, b, 2 * n + i);
            }
        }
    }

    private static void solve(double v, double ai, double a11, double a12, double a22, double inv,
                              double sf, double sb, float[] f, float[] b, int at) {
        double rf = ai * v + sf, rb = (1 - ai) * v + sb;
        f[at] = (float) Math.clamp((a22 * rf - a12 * rb) * inv, 0, 1);
        b[at] = (float) Math.clamp((a11 * rb - a12 * rf) * inv, 0, 1);
    }

    /** Nearest-neighbour resize of {@code channels} planes from sw x sh to dw x dh. */
    static float[] resizeNearest(float[] src, int channels, int sw, int sh, int dw, int dh) {
        if (sw == dw && sh == dh) return src.clone();
        float[] out = new float[channels * dw * dh];
        int[] xs = new int[dw];
        for (int x = 0; x < dw; x++) xs[x] = Math.min(sw - 1, (int) ((x + 0.5) * sw / dw));
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < dh; y++) {
                int sy = Math.min(sh - 1, (int) ((y + 0.5) * sh / dh));
                int srow = c * sw * sh + sy * sw, drow = c * dw * dh + y * dw;
                for (int x = 0; x < dw; x++) out[drow + x] = src[srow + xs[x]];
            }
        }
        return out;
    }
}
