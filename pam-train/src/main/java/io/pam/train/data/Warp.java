package io.pam.train.data;

import java.util.SplittableRandom;

/**
 * Random affine warps of a foreground layer into a square canvas (inverse mapping, bilinear).
 *
 * <p>The forward map sends a source offset d (from a chosen source pixel p0) to canvas offset
 * M d (from the canvas centre), M = flip x rotation(theta) x shear(s) x scale(k):
 * theta in [-30, 30] degrees, shear angle in [-10, 10] degrees, k in [0.8, 1.25], horizontal flip
 * with probability 1/2. Each canvas pixel samples the source at p0 + M^-1 (q - centre); taps
 * outside the source have alpha 0 and the border colour.
 */
final class Warp {
    private Warp() {}

    /**
     * Samples the plane starting at {@code off} of a w x h image at (x, y) (pixel centres at
     * integer coordinates), clamping to the border. Written as nested lerps so that equal taps
     * give that value exactly (alpha 1 stays exactly 1).
     */
    static float bilinear(float[] p, int off, int w, int h, double x, double y) {
        x = Math.clamp(x, 0, w - 1);
        y = Math.clamp(y, 0, h - 1);
        int x0 = Math.min((int) x, w - 2 < 0 ? 0 : w - 2), y0 = Math.min((int) y, h - 2 < 0 ? 0 : h - 2);
        int x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
        float tx = (float) (x - x0), ty = (float) (y - y0);
        float a = p[off + y0 * w + x0], b = p[off + y0 * w + x1], c = p[off + y1 * w + x0], d = p[off + y1 * w + x1];
        float top = a + (b - a) * tx, bottom = c + (d - c) * tx;
        return top + (bottom - top) * ty;
    }

    /** Inverse of a random forward matrix, as {m00, m01, m10, m11}. */
    static double[] randomInverse(SplittableRandom rnd) {
        double theta = Math.toRadians((rnd.nextDouble() * 2 - 1) * 30);
        double shear = Math.tan(Math.toRadians((rnd.nextDouble() * 2 - 1) * 10));
        double k = Math.exp(Math.log(0.8) + rnd.nextDouble() * (Math.log(1.25) - Math.log(0.8)));
        double flip = rnd.nextBoolean() ? -1 : 1;
        double cos = Math.cos(theta), sin = Math.sin(theta);
        // M = F R S K with S = [[1, shear], [0, 1]], K = k I, F = diag(flip, 1)
        double a = k * cos, b = k * (cos * shear - sin), c = k * sin, d = k * (sin * shear + cos);
        a *= flip;
        b *= flip;
        double det = a * d - b * c;
        return new double[] {d / det, -b / det, -c / det, a / det};
    }

    /**
     * Warps {@code src} into a size x size canvas so that source pixel (px, py) lands exactly on canvas
     * pixel (size / 2, size / 2).
     *
     * @param fg    out: planar RGB, 3 x size x size
     * @param alpha out: size x size
     */
    static void warp(Matte src, double px, double py, double[] inv, int size, float[] fg, float[] alpha) {
        int w = src.width(), h = src.height(), sn = w * h, n = size * size;
        float[] sf = src.foreground().planar(), sa = src.alpha();
        double centre = size / 2;  // integer: the centre pixel samples (px, py) exactly
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double qx = x - centre, qy = y - centre;
                double sx = px + inv[0] * qx + inv[1] * qy, sy = py + inv[2] * qx + inv[3] * qy;
                int i = y * size + x;
                // Alpha fades to 0 over the half pixel outside the source, as if it were padded by 0.
                alpha[i] = sx < -1 || sy < -1 || sx > w || sy > h ? 0f : bilinearZeroPadded(sa, w, h, sx, sy);
                for (int c = 0; c < 3; c++) fg[c * n + i] = bilinear(sf, c * sn, w, h, sx, sy);
            }
        }
    }

    /** Bilinear with taps outside the image counting as 0. */
    private static float bilinearZeroPadded(float[] p, int w, int h, double x, double y) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        float tx = (float) (x - x0), ty = (float) (y - y0);
        float a = tap(p, w, h, x0, y0), b = tap(p, w, h, x0 + 1, y0), c = tap(p, w, h, x0, y0 + 1), d = tap(p, w, h, x0 + 1, y0 + 1);
        float top = a + (b - a) * tx, bottom = c + (d - c) * tx;
        return Math.clamp(top + (bottom - top) * ty, 0f, 1f);
    }

    private static float tap(float[] p, int w, int h, int x, int y) {
        return x < 0 || y < 0 || x >= w || y >= h ? 0f : p[y * w + x];
    }
}
