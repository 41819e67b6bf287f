package io.pam;

import io.pam.image.ForegroundEstimator;
import io.pam.image.RgbImage;
import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A cut-out foreground: the estimated foreground colours F and the alpha, ready to be saved as
 * a straight-alpha RGBA image or composited over a new background.
 *
 * <p>The colours of an image are a mix, {@code I = alpha F + (1 - alpha) B}; using I itself as
 * the cutout's colour would carry the old background into every soft edge (a colour fringe).
 * {@link #of} estimates F with {@link ForegroundEstimator} (multilevel, smooth where alpha is
 * smooth), so semi-transparent pixels keep only the foreground's colour.
 *
 * <pre>{@code
 * MatteResult r = matter.infer(image, trimap, Budget.MODERATE);
 * Cutout c = Cutout.of(image, r);
 * ImageIO.write(c.toImage(), "png", new File("cutout.png"));        // RGBA
 * ImageIO.write(c.compose(beach), "png", new File("on-beach.png"));  // RGB
 * }</pre>
 *
 * @param foreground estimated foreground colours F, planar RGB in [0,1]
 * @param alpha      row-major alpha in [0,1], {@code width * height} values
 */
public record Cutout(RgbImage foreground, float[] alpha) {
    public Cutout {
        Objects.requireNonNull(foreground, "foreground");
        Objects.requireNonNull(alpha, "alpha");
        if (alpha.length != foreground.plane())
            throw new IllegalArgumentException("alpha has " + alpha.length + " values but the foreground is "
                    + foreground.width() + "x" + foreground.height());
    }

    /** Cuts the matted foreground out of the image {@code result} was computed from. */
    public static Cutout of(BufferedImage image, MatteResult result) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(result, "result");
        if (image.getWidth() != result.width() || image.getHeight() != result.height())
            throw new InvalidInputException("image is " + image.getWidth() + "x" + image.getHeight() + " but the matte is "
                    + result.width() + "x" + result.height());
        return of(planar(image), result.alpha());
    }

    /**
     * Cuts a foreground out of an image with a given alpha.
     *
     * @param image the photograph, planar RGB in [0,1]
     * @param alpha row-major alpha in [0,1] of the image's size
     */
    public static Cutout of(RgbImage image, float[] alpha) {
        Objects.requireNonNull(image, "image");
        if (alpha == null || alpha.length != image.plane())
            throw new InvalidInputException("alpha must have " + image.plane() + " values for a " + image.width() + "x" + image.height() + " image");
        float[] a = alpha.clone();
        return new Cutout(ForegroundEstimator.estimate(image, a).foreground(), a);
    }

    public int width() {
        return foreground.width();
    }

    public int height() {
        return foreground.height();
    }

    /** The cutout as an 8-bit straight-alpha ARGB image (colours F, transparency alpha). */
    public BufferedImage toImage() {
        int w = width(), h = height(), n = w * h;
        float[] f = foreground.planar();
        int[] argb = new int[n];
        for (int i = 0; i < n; i++)
            argb[i] = to8(alpha[i]) << 24 | to8(f[i]) << 16 | to8(f[n + i]) << 8 | to8(f[2 * n + i]);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, w, h, argb, 0, w);
        return img;
    }

    /**
     * Composites the cutout over a new background: {@code alpha F + (1 - alpha) B}. A background
     * of another size is first fitted to the cutout: scaled uniformly (bilinear, never stretched)
     * to the smallest size that covers the cutout, then centred and cropped.
     */
    public RgbImage compose(RgbImage background) {
        Objects.requireNonNull(background, "background");
        RgbImage b = fit(background, width(), height());
        int n = foreground.plane();
        float[] f = foreground.planar(), bp = b.planar(), out = new float[3 * n];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < n; i++) {
                float a = alpha[i];
                out[c * n + i] = a * f[c * n + i] + (1 - a) * bp[c * n + i];
            }
        }
        return new RgbImage(width(), height(), out);
    }

    /** {@link #compose(RgbImage)} for decoded images; the result is 8-bit RGB. */
    public BufferedImage compose(BufferedImage background) {
        Objects.requireNonNull(background, "background");
        RgbImage c = compose(planar(background));
        int n = c.plane();
        float[] p = c.planar();
        int[] rgb = new int[n];
        for (int i = 0; i < n; i++) rgb[i] = to8(p[i]) << 16 | to8(p[n + i]) << 8 | to8(p[2 * n + i]);
        BufferedImage img = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, width(), height(), rgb, 0, width());
        return img;
    }

    /**
     * Scales {@code image} uniformly by {@code s = max(w / width, h / height)} and crops the
     * centred {@code w x h} window. Bilinear sampling with half-pixel centres, edges clamped.
     * Returns the image itself when it already has that size.
     */
    static RgbImage fit(RgbImage image, int w, int h) {
        int sw = image.width(), sh = image.height();
        if (sw == w && sh == h) return image;
        double s = Math.max((double) w / sw, (double) h / sh);
        double ox = (sw * s - w) / 2, oy = (sh * s - h) / 2; // crop offsets in scaled pixels
        int n = w * h, sn = image.plane();
        float[] src = image.planar(), out = new float[3 * n];
        for (int y = 0; y < h; y++) {
            double fy = (y + 0.5 + oy) / s - 0.5;
            int y0 = clamp((int) Math.floor(fy), sh), y1 = clamp((int) Math.floor(fy) + 1, sh);
            double ty = fy - Math.floor(fy);
            for (int x = 0; x < w; x++) {
                double fx = (x + 0.5 + ox) / s - 0.5;
                int x0 = clamp((int) Math.floor(fx), sw), x1 = clamp((int) Math.floor(fx) + 1, sw);
                double tx = fx - Math.floor(fx);
                for (int c = 0; c < 3; c++) {
                    int o = c * sn;
                    double top = src[o + y0 * sw + x0] * (1 - tx) + src[o + y0 * sw + x1] * tx;
                    double bot = src[o + y1 * sw + x0] * (1 - tx) + src[o + y1 * sw + x1] * tx;
                    out[c * n + y * w + x] = (float) (top * (1 - ty) + bot * ty);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static int clamp(int i, int size) {
        return i < 0 ? 0 : i >= size ? size - 1 : i;
    }

    private static int to8(float v) {
        return Math.round(Math.min(Math.max(v, 0f), 1f) * 255f);
    }

    /** Planar RGB in [0,1] of a decoded image (its alpha channel, if any, ignored). */
    static RgbImage planar(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight(), n = w * h;
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] p = new float[3 * n];
        for (int i = 0; i < n; i++) {
            p[i] = (argb[i] >> 16 & 0xff) / 255f;
            p[n + i] = (argb[i] >> 8 & 0xff) / 255f;
            p[2 * n + i] = (argb[i] & 0xff) / 255f;
        }
        return new RgbImage(w, h, p);
    }
}
