package io.pam.train.data;

/**
 * Trimaps made from an alpha matte by erosion with elliptical kernels: foreground (255) is the
 * set {alpha == 1} eroded, background (0) is {alpha == 0} eroded, everything else is unknown
 * (128). So a known pixel always agrees exactly with the alpha, and every pixel with
 * 0 &lt; alpha &lt; 1 is unknown.
 *
 * <p>Kernel: the integer offsets (dx, dy) with (dx / (kw / 2))^2 + (dy / (kh / 2))^2 &le; 1 for a
 * kw x kh kernel (1 x 1 = no erosion). Pixels outside the image do not erode (the mask is taken
 * to continue past the border).
 */
public final class Trimaps {
    public static final byte BACKGROUND = 0, UNKNOWN = (byte) 128, FOREGROUND = (byte) 255;

    private Trimaps() {}

    /**
     * @param fgKernelW, fgKernelH kernel eroding the foreground, sizes in pixels (&ge; 1)
     * @param bgKernelW, bgKernelH kernel eroding the background
     * @return row-major trimap, values 0 / 128 / 255
     */
    public static byte[] fromAlpha(int w, int h, float[] alpha, int fgKernelW, int fgKernelH, int bgKernelW, int bgKernelH) {
        if (alpha.length != w * h) throw new IllegalArgumentException("alpha must have " + w * h + " values");
        boolean[] notFg = new boolean[w * h], notBg = new boolean[w * h];
        for (int i = 0; i < alpha.length; i++) {
            notFg[i] = alpha[i] != 1f;
            notBg[i] = alpha[i] != 0f;
        }
        // erode(S) = complement of dilate(complement of S)
        boolean[] fgLost = dilate(w, h, notFg, fgKernelW, fgKernelH);
        boolean[] bgLost = dilate(w, h, notBg, bgKernelW, bgKernelH);
        byte[] out = new byte[w * h];
        for (int i = 0; i < out.length; i++) out[i] = !fgLost[i] ? FOREGROUND : !bgLost[i] ? BACKGROUND : UNKNOWN;
        return out;
    }

    /** Binary dilation with the elliptical kernel, via per-row prefix counts: O(w h kh). */
    static boolean[] dilate(int w, int h, boolean[] mask, int kw, int kh) {
        if (kw < 1 || kh < 1) throw new IllegalArgumentException("kernel sizes must be >= 1, got " + kw + "x" + kh);
        double a = kw / 2.0, b = kh / 2.0;
        int ryi = (int) Math.floor(b);
        int[] half = new int[2 * ryi + 1];
        for (int dy = -ryi; dy <= ryi; dy++) half[dy + ryi] = (int) Math.floor(a * Math.sqrt(Math.max(0, 1 - (dy / b) * (dy / b))) + 1e-9);
        // prefix[y][x + 1] = number of set pixels in row y left of x + 1
        int[] prefix = new int[h * (w + 1)];
        for (int y = 0; y < h; y++) {
            int base = y * (w + 1);
            for (int x = 0; x < w; x++) prefix[base + x + 1] = prefix[base + x] + (mask[y * w + x] ? 1 : 0);
        }
        boolean[] out = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int dy = -ryi; dy <= ryi; dy++) {
                int hx = half[dy + ryi], sy = y + dy;
                if (sy < 0 || sy >= h) continue;
                int base = sy * (w + 1);
                if (prefix[base + w] == 0) continue;
                for (int x = 0; x < w; x++) {
                    if (out[y * w + x]) continue;
                    int lo = Math.max(0, x - hx), hi = Math.min(w, x + hx + 1);
                    if (prefix[base + hi] - prefix[base + lo] > 0) out[y * w + x] = true;
                }
            }
        }
        return out;
    }
}
