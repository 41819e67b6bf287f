package io.pam;

import io.pam.net.NetworkSpec;
import io.pam.net.Tensor;
import java.util.Locale;
import java.util.TreeMap;

/**
 * A validated image + trimap, and the network input made from them: RGB in [0,1] and the
 * trimap one-hot, reflect-padded at the bottom and right to a multiple of 32.
 */
final class MatteInput {
    final int width, height, paddedW, paddedH;
    /** 0 = background, 1 = unknown, 2 = foreground, row-major. */
    final byte[] classes;
    final long unknown;
    private final float[] rgb; // interleaved, [0,1]

    private MatteInput(int width, int height, float[] rgb, byte[] classes, long unknown) {
        this.width = width;
        this.height = height;
        this.rgb = rgb;
        this.classes = classes;
        this.unknown = unknown;
        this.paddedW = align(width);
        this.paddedH = align(height);
    }

    static int align(int n) {
        return (n + NetworkSpec.ALIGN - 1) / NetworkSpec.ALIGN * NetworkSpec.ALIGN;
    }

    /**
     * Validates and classifies.
     *
     * @param rgb    interleaved RGB, {@code width*height*3} values in [0,1]
     * @param trimap row-major 8-bit trimap (read as unsigned), {@code width*height} values
     */
    static MatteInput of(float[] rgb, byte[] trimap, int width, int height, TrimapPolicy policy, long maxPixels) {
        checkSize(width, height, maxPixels);
        long n = (long) width * height;
        if (rgb == null || trimap == null) throw new InvalidInputException("image and trimap must not be null");
        if (rgb.length != n * 3)
            throw new InvalidInputException("image has " + rgb.length + " values; a " + width + "x" + height + " RGB image needs " + n * 3 + " (interleaved R,G,B)");
        if (trimap.length != n)
            throw new InvalidInputException("trimap has " + trimap.length + " values; it must have one per pixel of the " + width + "x" + height + " image (" + n + ")");
        for (int i = 0; i < rgb.length; i++) {
            float v = rgb[i];
            if (!(v >= 0f && v <= 1f))
                throw new InvalidInputException("image value " + v + " at index " + i + " is outside [0,1] (or NaN): pass RGB scaled to [0,1]");
        }
        byte[] cls = new byte[(int) n];
        long unknown = 0, bad = 0;
        TreeMap<Integer, Long> badValues = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int v = trimap[i] & 0xff;
            int c = policy.classify(v);
            if (c < 0) {
                bad++;
                badValues.merge(v, 1L, Long::sum);
                continue;
            }
            cls[i] = (byte) c;
            if (c == 1) unknown++;
        }
        if (bad > 0) {
            StringBuilder vals = new StringBuilder();
            int shown = 0;
            for (var e : badValues.entrySet()) {
                if (shown++ == 8) {
                    vals.append(", ... (").append(badValues.size()).append(" distinct values)");
                    break;
                }
                if (vals.length() > 0) vals.append(", ");
                vals.append(e.getKey()).append(" x").append(e.getValue());
            }
            throw new InvalidInputException(String.format(Locale.ROOT,
                    "trimap is not a trimap: %d of %d pixels have values other than 0 (background), 128 (unknown), "
                            + "255 (foreground): %s. Fix the trimap, or choose TrimapPolicy.NEAREST (CLI: --trimap-policy nearest) "
                            + "to map below 64 to background, 192 and above to foreground, the rest to unknown.", bad, n, vals));
        }
        return new MatteInput(width, height, rgb, cls, unknown);
    }

    static void checkSize(int width, int height, long maxPixels) {
        if (width <= 0 || height <= 0)
            throw new InvalidInputException("image is empty (" + width + "x" + height + "); width and height must be at least 1");
        if ((long) width * height > maxPixels)
            throw new InvalidInputException(String.format(Locale.ROOT,
                    "image %dx%d has %d pixels, more than the limit of %d (%.1f megapixels); downscale it or raise the limit "
                            + "with Matter.builder().maxPixels(...) (memory grows by about 0.7 KB per pixel on the CPU backend)",
                    width, height, (long) width * height, maxPixels, maxPixels / 1e6));
    }

    /** The trimap as alpha: 1 for foreground, 0 otherwise (used when nothing is unknown). */
    float[] trimapAlpha() {
        float[] a = new float[classes.length];
        for (int i = 0; i < a.length; i++) a[i] = classes[i] == 2 ? 1f : 0f;
        return a;
    }

    /** Mirror index for reflect padding (no edge repeat), valid for any pad length. */
    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int m = i % period;
        return m < n ? m : period - m;
    }

    /** The network input 1 x 6 x paddedH x paddedW. */
    Tensor toTensor() {
        int pw = paddedW, ph = paddedH, plane = pw * ph;
        float[] d = new float[6 * plane];
        for (int y = 0; y < ph; y++) {
            int sy = reflect(y, height);
            for (int x = 0; x < pw; x++) {
                int sx = reflect(x, width);
                int s = sy * width + sx, o = y * pw + x;
                d[o] = rgb[3 * s];
                d[plane + o] = rgb[3 * s + 1];
                d[2 * plane + o] = rgb[3 * s + 2];
                d[(3 + classes[s]) * plane + o] = 1f;
            }
        }
        return new Tensor(1, 6, ph, pw, d);
    }

    /** Crops a padded 1 x 1 x paddedH x paddedW alpha back to the image size. */
    float[] crop(Tensor alpha) {
        float[] out = new float[width * height];
        for (int y = 0; y < height; y++) System.arraycopy(alpha.data(), y * alpha.w(), out, y * width, width);
        return out;
    }
}
