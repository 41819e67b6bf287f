package io.pam.train.data;

import io.pam.image.RgbImage;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Makes one composited training sample from a random state. Pure function of (sources, crop
 * size, probabilities, random state): safe to call from several threads at once.
 *
 * <p>Steps: pick a foreground (real with probability realFraction, else procedural), warp it
 * ({@link Warp}) so that one of its unknown pixels lands at the crop centre; maybe mix a second
 * foreground behind it (alpha = 1 - (1 - a1)(1 - a2), F = (a1 F1 + (1 - a1) a2 F2) / alpha);
 * jitter colours; make the trimap on a canvas 14 px larger on each side (the largest kernel's
 * reach) with random elliptical kernels of 1-29 px; if the centre pixel is not unknown, start
 * again; take a random, randomly scaled and flipped crop of a background; composite.
 */
final class SampleMaker {
    static final int MARGIN = 14;
    static final int MAX_KERNEL = 29;
    private static final int MAX_TRIES = 50;

    private final List<Matte> real;
    private final List<RgbImage> backgrounds;
    private final int size;
    private final double realFraction;
    private final double mixProbability;
    private final Map<Matte, int[]> unknown = new IdentityHashMap<>();

    SampleMaker(List<Matte> real, List<RgbImage> backgrounds, int size, double realFraction, double mixProbability) {
        if (backgrounds.isEmpty()) throw new IllegalArgumentException("no backgrounds");
        this.real = List.copyOf(real);
        this.backgrounds = List.copyOf(backgrounds);
        this.size = size;
        this.realFraction = real.isEmpty() ? 0 : realFraction;
        this.mixProbability = mixProbability;
        for (Matte m : this.real) unknown.put(m, m.unknownPixels());
    }

    Sample make(SplittableRandom rnd) {
        int canvas = size + 2 * MARGIN, cn = canvas * canvas;
        float[] fg = new float[3 * cn], alpha = new float[cn];
        byte[] tri = null;
        for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
            place(rnd, canvas, fg, alpha);
            if (rnd.nextDouble() < mixProbability) {
                float[] fg2 = new float[3 * cn], a2 = new float[cn];
                place(rnd, canvas, fg2, a2);
                mixBehind(fg, alpha, fg2, a2, cn);
            }
            int centre = (canvas / 2) * canvas + canvas / 2;
            if (alpha[centre] <= 0 || alpha[centre] >= 1) continue;
            tri = Trimaps.fromAlpha(canvas, canvas, alpha, kernel(rnd), kernel(rnd), kernel(rnd), kernel(rnd));
            break;
        }
        if (tri == null) throw new IllegalStateException("no foreground with unknown pixels after " + MAX_TRIES + " tries");
        if (rnd.nextDouble() < 0.8) ColourJitter.apply(rnd, fg, cn, 1.0);

        int n = size * size;
        float[] cf = new float[3 * n], ca = new float[n], img = new float[3 * n];
        byte[] ct = new byte[n];
        for (int y = 0; y < size; y++) {
            int src = (y + MARGIN) * canvas + MARGIN;
            System.arraycopy(alpha, src, ca, y * size, size);
            System.arraycopy(tri, src, ct, y * size, size);
            for (int c = 0; c < 3; c++) System.arraycopy(fg, c * cn + src, cf, c * n + y * size, size);
        }
        float[] bg = background(rnd);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < n; i++) {
                float a = ca[i];
                img[c * n + i] = cf[c * n + i] * a + bg[c * n + i] * (1 - a);
            }
        return new Sample(size, img, ct, ca, cf, bg);
    }

    /** A random foreground warped so that one of its unknown pixels is at the canvas centre. */
    private void place(SplittableRandom rnd, int canvas, float[] fg, float[] alpha) {
        Matte m;
        int[] unk;
        if (rnd.nextDouble() < realFraction) {
            m = real.get(rnd.nextInt(real.size()));
            unk = unknown.get(m);
        } else {
            m = ProceduralMattes.generate(rnd, canvas, backgrounds);
            unk = m.unknownPixels();
        }
        double px, py;
        if (unk.length > 0) {
            int p = unk[rnd.nextInt(unk.length)];
            px = p % m.width();
            py = p / m.width();
        } else {
            px = rnd.nextInt(m.width());
            py = rnd.nextInt(m.height());
        }
        Warp.warp(m, px, py, Warp.randomInverse(rnd), canvas, fg, alpha);
    }

    /** Puts layer 2 behind layer 1, in place in (fg1, a1). */
    static void mixBehind(float[] fg1, float[] a1, float[] fg2, float[] a2, int n) {
        for (int i = 0; i < n; i++) {
            float x = a1[i], y = a2[i];
            if (y <= 0 || x >= 1) continue;
            float a = x + (1 - x) * y;
            if (y >= 1) a = 1f;
            for (int c = 0; c < 3; c++) {
                int k = c * n + i;
                fg1[k] = Math.clamp((x * fg1[k] + (1 - x) * y * fg2[k]) / a, 0f, 1f);
            }
            a1[i] = a;
        }
    }

    /** Kernel size in 1..29. */
    private static int kernel(SplittableRandom rnd) {
        return 1 + rnd.nextInt(MAX_KERNEL);
    }

    /** size x size from a random background: random scale (crop side size..min side), flip, jitter. */
    private float[] background(SplittableRandom rnd) {
        RgbImage b = backgrounds.get(rnd.nextInt(backgrounds.size()));
        int side = Math.min(b.width(), b.height());
        double lo = Math.min(size, side), patch = lo + rnd.nextDouble() * (side - lo);
        double x0 = rnd.nextDouble() * (b.width() - patch), y0 = rnd.nextDouble() * (b.height() - patch);
        double scale = patch / size;
        boolean flip = rnd.nextBoolean();
        int n = size * size;
        float[] out = new float[3 * n];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                double sx = x0 + ((flip ? size - 1 - x : x) + 0.5) * scale - 0.5, sy = y0 + (y + 0.5) * scale - 0.5;
                for (int c = 0; c < 3; c++) out[c * n + y * size + x] = Warp.bilinear(b.planar(), c * b.plane(), b.width(), b.height(), sx, sy);
            }
        if (rnd.nextDouble() < 0.5) ColourJitter.apply(rnd, out, n, 0.5);
        return out;
    }
}
