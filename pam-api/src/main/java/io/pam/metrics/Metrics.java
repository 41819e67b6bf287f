package io.pam.metrics;

import java.util.Arrays;

/**
 * Matting errors of the Composition-1K protocol (Xu et al., "Deep Image Matting", 2017, and its
 * evaluation code), measured over the trimap's unknown pixels.
 *
 * <p>All methods take row-major mattes of {@code width x height} pixels: {@code pred} and
 * {@code gt} hold alpha in [0,1]; {@code trimap} holds 8-bit trimap values (unsigned bytes). A
 * pixel is <em>unknown</em> when its trimap value is neither 0 nor 255 (128 in a valid trimap).
 * Every error is 0 when the trimap has no unknown pixel.
 *
 * <ul>
 *   <li>SAD = sum |pred - gt| / 1000</li>
 *   <li>MSE = mean (pred - gt)^2, the raw mean (papers print it multiplied by 1000)</li>
 *   <li>Grad = sum (|&nabla;pred| - |&nabla;gt|)^2 / 1000, gradients from first-derivative-of-Gaussian
 *       filters (sigma 1.4, 9x9 support, each kernel scaled to unit L2 norm as in the reference
 *       evaluation code), replicate borders</li>
 *   <li>Conn = sum |phi(pred) - phi(gt)| / 1000, see {@link #conn}</li>
 * </ul>
 */
public final class Metrics {
    /** Standard deviation of the Gaussian derivative filters of {@link #grad}. */
    public static final double GRAD_SIGMA = 1.4;
    /** Half size of the gradient filters: 9x9 support. */
    public static final int GRAD_HALF = 4;
    /** Threshold step of {@link #conn}. */
    public static final double CONN_STEP = 0.1;
    /** Smallest drop below the connected level that {@link #conn} penalises. */
    public static final double CONN_MIN_DROP = 0.15;

    private static final double[] DERIVATIVE_KERNEL = derivativeKernel();

    private Metrics() {}

    /** All four errors at once. */
    public static MatteErrors all(int width, int height, float[] pred, float[] gt, byte[] trimap) {
        boolean[] unknown = unknownMask(width, height, pred, gt, trimap);
        long count = 0;
        for (boolean u : unknown) if (u) count++;
        return new MatteErrors(sad(pred, gt, unknown), mse(pred, gt, unknown, count),
                grad(width, height, pred, gt, unknown), conn(width, height, pred, gt, unknown), count);
    }

    /** Sum of absolute differences over unknown pixels, divided by 1000. */
    public static double sad(int width, int height, float[] pred, float[] gt, byte[] trimap) {
        return sad(pred, gt, unknownMask(width, height, pred, gt, trimap));
    }

    /** Mean of squared differences over unknown pixels (not multiplied by 1000). */
    public static double mse(int width, int height, float[] pred, float[] gt, byte[] trimap) {
        boolean[] unknown = unknownMask(width, height, pred, gt, trimap);
        long count = 0;
        for (boolean u : unknown) if (u) count++;
        return mse(pred, gt, unknown, count);
    }

    /**
     * Gradient error: sum over unknown pixels of (|g(pred)| - |g(gt)|)^2, divided by 1000, where
     * |g(a)| = sqrt(gx^2 + gy^2), gx = a (*) Kx, gy = a (*) Ky with Kx(y, x) = G(y) G'(x),
     * Ky = Kx transposed, G the Gaussian of sigma 1.4 and G' its derivative, sampled at offsets
     * -4..4, Kx scaled to unit L2 norm; pixels outside the image replicate the border.
     */
    public static double grad(int width, int height, float[] pred, float[] gt, byte[] trimap) {
        return grad(width, height, pred, gt, unknownMask(width, height, pred, gt, trimap));
    }

    /**
     * Connectivity error. For thresholds t_i = 0.1 i (i = 1..10), let Omega_i be the largest
     * 4-connected component of the pixels with pred &ge; t_i AND gt &ge; t_i (compared as floats; ties: the component
     * found first in row-major order). A pixel's level l is t_{i-1} for the first i at which it
     * is not in Omega_i (1 if it is in all of them). Then phi(a) = 1 - d [d &ge; 0.15] with
     * d = a - l, and Conn = sum over unknown pixels of |phi(pred) - phi(gt)| / 1000. Components
     * are taken over the whole image, not only the unknown region.
     */
    public static double conn(int width, int height, float[] pred, float[] gt, byte[] trimap) {
        return conn(width, height, pred, gt, unknownMask(width, height, pred, gt, trimap));
    }

    private static double sad(float[] pred, float[] gt, boolean[] unknown) {
        double s = 0;
        for (int i = 0; i < pred.length; i++) if (unknown[i]) s += Math.abs((double) pred[i] - gt[i]);
        return s / 1000;
    }

    private static double mse(float[] pred, float[] gt, boolean[] unknown, long count) {
        if (count == 0) return 0;
        double s = 0;
        for (int i = 0; i < pred.length; i++) {
            if (!unknown[i]) continue;
            double d = (double) pred[i] - gt[i];
            s += d * d;
        }
        return s / count;
    }

    private static double grad(int w, int h, float[] pred, float[] gt, boolean[] unknown) {
        double[] mp = gradientMagnitude(w, h, pred);
        double[] mg = gradientMagnitude(w, h, gt);
        double s = 0;
        for (int i = 0; i < mp.length; i++) {
            if (!unknown[i]) continue;
            double d = mp[i] - mg[i];
            s += d * d;
        }
        return s / 1000;
    }

    private static double conn(int w, int h, float[] pred, float[] gt, boolean[] unknown) {
        int n = w * h;
        double[] level = new double[n];
        Arrays.fill(level, -1);
        int steps = (int) Math.round(1 / CONN_STEP);
        boolean[] both = new boolean[n];
        for (int i = 1; i <= steps; i++) {
            // Compare in float: the mattes are floats, so 0.9f counts as reaching the 0.9 threshold.
            float t = (float) (i * CONN_STEP);
            for (int p = 0; p < n; p++) both[p] = pred[p] >= t && gt[p] >= t;
            boolean[] largest = largestComponent(w, h, both);
            double previous = (i - 1) * CONN_STEP;
            for (int p = 0; p < n; p++) if (level[p] == -1 && !largest[p]) level[p] = previous;
        }
        double s = 0;
        for (int p = 0; p < n; p++) {
            if (!unknown[p]) continue;
            double l = level[p] == -1 ? 1 : level[p];
            s += Math.abs(phi(pred[p], l) - phi(gt[p], l));
        }
        return s / 1000;
    }

    private static double phi(double a, double level) {
        double d = a - level;
        return d >= CONN_MIN_DROP ? 1 - d : 1;
    }

    /** The largest 4-connected component of {@code mask}; all false if the mask is empty. */
    static boolean[] largestComponent(int w, int h, boolean[] mask) {
        int n = w * h;
        int[] label = new int[n];
        int[] stack = new int[n];
        int bestLabel = 0, bestSize = 0, next = 0;
        for (int start = 0; start < n; start++) {
            if (!mask[start] || label[start] != 0) continue;
            int id = ++next, size = 0, top = 0;
            label[start] = id;
            stack[top++] = start;
            while (top > 0) {
                int p = stack[--top];
                size++;
                int x = p % w, y = p / w;
                if (x > 0 && mask[p - 1] && label[p - 1] == 0) { label[p - 1] = id; stack[top++] = p - 1; }
                if (x < w - 1 && mask[p + 1] && label[p + 1] == 0) { label[p + 1] = id; stack[top++] = p + 1; }
                if (y > 0 && mask[p - w] && label[p - w] == 0) { label[p - w] = id; stack[top++] = p - w; }
                if (y < h - 1 && mask[p + w] && label[p + w] == 0) { label[p + w] = id; stack[top++] = p + w; }
            }
            if (size > bestSize) { bestSize = size; bestLabel = id; }
        }
        boolean[] out = new boolean[n];
        if (bestLabel != 0) for (int p = 0; p < n; p++) out[p] = label[p] == bestLabel;
        return out;
    }

    /** |gradient| per pixel from the 9x9 derivative-of-Gaussian filters, replicate borders. */
    static double[] gradientMagnitude(int w, int h, float[] a) {
        double[] k = DERIVATIVE_KERNEL;
        int r = GRAD_HALF, size = 2 * r + 1;
        double[] out = new double[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double gx = 0, gy = 0;
                for (int dy = -r; dy <= r; dy++) {
                    int yy = Math.clamp(y + dy, 0, h - 1);
                    for (int dx = -r; dx <= r; dx++) {
                        double v = a[yy * w + Math.clamp(x + dx, 0, w - 1)];
                        gx += v * k[(dy + r) * size + (dx + r)];  // Kx(dy, dx) = G(dy) G'(dx)
                        gy += v * k[(dx + r) * size + (dy + r)];  // Ky = Kx transposed
                    }
                }
                out[y * w + x] = Math.sqrt(gx * gx + gy * gy);
            }
        }
        return out;
    }

    /** Kx(i, j) = G(i) G'(j) for i, j in -4..4, row-major, scaled to unit L2 norm. */
    static double[] derivativeKernel() {
        int r = GRAD_HALF, size = 2 * r + 1;
        double s2 = GRAD_SIGMA * GRAD_SIGMA;
        double[] k = new double[size * size];
        double norm = 0;
        for (int i = -r; i <= r; i++) {
            for (int j = -r; j <= r; j++) {
                double g = Math.exp(-i * i / (2 * s2)) / (GRAD_SIGMA * Math.sqrt(2 * Math.PI));
                double dg = -j * Math.exp(-j * j / (2 * s2)) / (GRAD_SIGMA * Math.sqrt(2 * Math.PI)) / s2;
                double v = g * dg;
                k[(i + r) * size + (j + r)] = v;
                norm += v * v;
            }
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < k.length; i++) k[i] /= norm;
        return k;
    }

    private static boolean[] unknownMask(int w, int h, float[] pred, float[] gt, byte[] trimap) {
        if (w <= 0 || h <= 0) throw new IllegalArgumentException("matte size must be positive, got " + w + "x" + h);
        long n = (long) w * h;
        if (pred == null || gt == null || trimap == null) throw new IllegalArgumentException("pred, gt and trimap are required");
        if (pred.length != n || gt.length != n || trimap.length != n)
            throw new IllegalArgumentException("a " + w + "x" + h + " matte needs " + n + " values; got pred " + pred.length
                    + ", gt " + gt.length + ", trimap " + trimap.length);
        for (int i = 0; i < n; i++) {
            if (!(pred[i] >= 0 && pred[i] <= 1)) throw outOfRange("pred", pred[i], i, w);
            if (!(gt[i] >= 0 && gt[i] <= 1)) throw outOfRange("gt", gt[i], i, w);
        }
        boolean[] unknown = new boolean[(int) n];
        for (int i = 0; i < n; i++) {
            int t = trimap[i] & 0xff;
            unknown[i] = t != 0 && t != 255;
        }
        return unknown;
    }

    private static IllegalArgumentException outOfRange(String what, float v, int i, int w) {
        return new IllegalArgumentException(what + " alpha must be in [0,1]; got " + v + " at (x=" + i % w + ", y=" + i / w + ")");
    }
}
